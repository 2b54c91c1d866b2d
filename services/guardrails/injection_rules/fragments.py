"""Regex fragments the rule modules share.

Rules match `normalise`d text: lower case, every gap one space (written "\\s").
"""

from __future__ import annotations

OVERRIDE_VERB = (
    r"(?:ignore|ignoring|disregard|forget|forgetting|override|overwrite|bypass|abandon|discard"
    r"|neglect|set\saside|throw\s(?:out|away)|cancel|scratch|void|revoke"
    r"|stop\s(?:following|obeying)|pay\sno\sattention\sto"
    r"|(?:do\snot|don'?t|no\slonger)\s(?:follow|obey|adhere\sto|listen\sto))"
)
PRIOR = (
    r"(?:previous|previously|prior|preceding|above|earlier|former|original|initial|old|older"
    r"|existing|foregoing|system|default|built-?in|pre-?set|programmed|safety|ethical|moral"
    r"|content|openai|developer|all|any|every|your|the|those|these|of|and|other|given"
    r"|following|subsequent|further|future|(?:the\s)?(?:bank|company|harbor|harbor\sbank)'?s)"
)
REVEAL = (
    r"(?:show|print|display|reveal|output|dump|leak|expose|disclose|tell\sme|give\sme|share"
    r"|recite|repeat|paste|write(?:\sout|\sdown)?|spell\sout|type\sout|list|echo|return"
    r"|summari[sz]e|paraphrase|translate|encode|describe|explain|read\sout|read\sback|copy"
    r"|reproduce|provide|send\sme|publish|post|format|render|convert|state|quote|log"
    r"|what\s(?:are|is|were|was)|what'?s)"
)
# A topic after "your rules"/"instructions you follow" makes it a banking question.
NOT_A_TOPIC = (
    r"(?!\s(?:for|on|about|to|regarding|when|if|around|with|concerning|in\s(?:case|regard)"
    r"|of\s(?:the|my|your)\s(?:bank|account|card))\b)"
)
# "your prompt reply" is politeness, not a prompt.
NOT_PROMPT_ADJECTIVE = (
    r"(?!\s(?:reply|replies|response|help|attention|service|action|answer|assistance|payment"
    r"|resolution|refund|reaction|support|handling|delivery|feedback|processing|consideration))"
)
SETUP_PROMPT = (
    r"(?:system\s?prompts?\b(?!\s(?:me|you|us|them|for|to|when|if|that)\b)|system\smessages?"
    r"|(?:developer|operator)\s(?:message|instructions|prompt)"
    r"|(?:initial|original|starting|hidden|secret|internal|underlying|core|base|opening|first"
    r"|setup|set-up|pre-?defined|confidential|private|invisible|developer|master|root|real"
    r"|true|full|default|very\sfirst)\sprompts?"
    + NOT_PROMPT_ADJECTIVE
    + r"|pre-?prompt|meta-?prompt|preamble|initiali[sz]ation\s(?:string|prompt|text|message"
    r"|instructions?)|(?:setup|set-up|start-?up|bootstrap|configuration)\s(?:message|text"
    r"|instructions|prompt)|(?:initial|original|hidden|starting|system)\scontext"
    r"|prompt\syou\s(?:were|have\sbeen)\sgiven|(?:the\s)?text\s(?:above|before)\sthis"
    r"|(?:your|the)\scontext\swindow|(?:its|their)\s(?:full\s|entire\s|hidden\s|secret\s"
    r"|system\s)?(?:prompts?|configuration)\b"
    r"|your\s(?:prompt" + NOT_PROMPT_ADJECTIVE + r"|programming|configuration)\b)"
)
# Words for what configures an assistant, and how one talks about having received them.
SETUP_NOUN = (
    r"(?:instructions?|directives?|directions|guidance|rules|guidelines|prompts?|constraints"
    r"|orders|commands|text|content|message|context|variables|programming|first\sthing)"
)
RECEIVED = (
    r"(?:(?:were|have\sbeen|'ve\sbeen|had\sbeen|are|got|received)\s(?:\S+\s)?(?:given|told|shown"
    r"|provided|fed|set\sup\swith|loaded\swith|configured\swith|programmed\swith|initiali[sz]ed"
    r"\swith|started\swith|primed\swith|seeded\swith|trained\s(?:on|with)|supposed\sto\sfollow"
    r"|following|instructed)|(?:received|got)\b)"
)
SETUP_INSTRUCTIONS = (
    r"(?:(?:hidden|secret|underlying|confidential|invisible|developer|system|pre-?defined"
    r"|pre-?set|built-?in)\s(?:instructions?|directives?|rules|guidelines|configuration|config"
    r"|programming|context|commands|preamble)"
    r"|(?:your|the\s(?:assistant|bot|ai|chatbot|model)'?s|you\swere\sgiven\s(?:the|your))\s"
    r"(?:very\s)?(?:initial|original|starting|first|base|core|opening|setup|real|true|full"
    r"|exact|complete|entire|default|current|internal|hidden|secret|private|underlying"
    r"|confidential|operating|operational|governing|guiding)\s(?:instructions?|directives?"
    r"|programming|guidelines|rules|orders)"
    rf"|{SETUP_NOUN}\s(?:that\s)?you\s{RECEIVED}"
    r"|(?:rules|instructions|guidelines|directives)\s(?:that\s)?you\s(?:have\sto|must|need\sto"
    r"|are\sto|follow|operate\sunder)"
    r"|what\syou\swere\s(?:told|given|instructed|programmed)\sto"
    r"|(?:everything|anything|whatever|all)\s(?:that\s)?you\s(?:were|have\sbeen|'ve\sbeen)\s"
    r"(?:told|given|instructed|programmed))" + NOT_A_TOPIC
)
AI = (
    r"(?:you|your|yourself|ai|a\.i\.|assistant|chatbot|bot|language\smodel|llm|model|gpt"
    r"|chatgpt|openai|\{generator\.name\}|system)"
)
# Phone and app settings have a developer mode too.
NOT_ABOUT_A_DEVICE = r"^(?!.*\b(?:phone|android|iphone|ios|device|tablet|handset|settings\sapp)\b)"
