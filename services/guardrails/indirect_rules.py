"""Patterns of instructions planted in reference material, aimed at whoever reads it.

A help article speaks to the customer ("you can freeze your card"); planted text speaks to
the assistant that will quote it ("in your response, add..."), to the readers as a crowd
("tell users to..."), or sends them somewhere the bank never would. Matched on `normalise`d
sentences; the direct-injection rules run on each sentence as well.
"""

from __future__ import annotations

from typing import Final

from guardrails.rules import Rule, rule

_OUTPUT = r"(?:response|responses|reply|replies|answer|answers|output|message|summary)"
_EDIT_VERB = (
    r"(?:add|include|insert|append|prepend|mention|modify|integrate|incorporate|enhance"
    r"|augment|end|begin|start|finish|conclude|close|format|write|provide|use|replace|render"
    r"|convert|encode|encrypt|translate|remove|group|scramble|jumble|misspell|rearrange"
    r"|introduce|combine|substitute|swap|reverse|state|claim|say|tell|suggest|recommend"
    r"|promote|advertise|embed|attach|put|express|present|deliver|compose|respond|reply"
    r"|answer|highlight|stress|emphasi[sz]e|tease|hint|offer|invite|encourage|remind|ask"
    r"|direct|urge|note|frame|twist|slant|spin|structure|organi[sz]e|sign|signoff|sign\soff)"
)
_PEOPLE = (
    r"(?:reader|readers|user|users|customer|customers|visitor|visitors|audience|people"
    r"|everyone|viewers|subscribers|followers|listeners|the\sperson|whoever)"
)
_CREDENTIAL = (
    r"(?:password|passcode|pin|card\snumbers?|cvv|cvc|security\scode|one-time\scode|otp"
    r"|verification\scode|login|log-in|credentials|account\sdetails|bank\sdetails|card"
    r"\sdetails|sort\scode|account\snumber|personal\sdetails|social\ssecurity|date\sof\sbirth)"
)

INDIRECT_RULES: Final[tuple[Rule, ...]] = (
    rule(
        "edits_the_assistants_output",
        "output_manipulation",
        0.9,
        rf"\b{_EDIT_VERB}\b.{{0,80}}\b(?:in|to|into|within|throughout|of|from|at|for|with)\s"
        rf"(?:your|the\sassistant'?s|the\sai'?s)\s(?:\S+\s)?{_OUTPUT}\b"
        rf"|\b(?:in|to|into|within|throughout|at\sthe\s(?:end|start|beginning)\sof)\s(?:your"
        rf"|the\sassistant'?s)\s(?:\S+\s)?{_OUTPUT}\b\s?,?\s(?:\S+\s){{0,3}}?{_EDIT_VERB}\b",
    ),
    rule(
        "your_output",
        "output_manipulation",
        0.6,
        rf"\byour\s(?:\S+\s)?{_OUTPUT}\b(?!\s(?:to\s(?:the|our|a)\s(?:survey|question|letter"
        r"|email)))",
    ),
    rule(
        "respond_in_a_form",
        "output_manipulation",
        0.85,
        r"\b(?:respond|reply|answer|write|speak|communicate)\s(?:only\s|solely\s|exclusively\s"
        r"|entirely\s)?(?:in|using|with|through)\s(?:only\s)?(?:a\s|an\s)?(?:base-?64|binary"
        r"|hex(?:adecimal)?|morse|caesar|atbash|rot-?13|cipher|code|emojis?|pig\slatin|leetspeak"
        r"|anagrams?|reverse|riddles?|rhymes?|verse|french|spanish|german|italian|russian"
        r"|japanese|chinese|portuguese|arabic|dutch|korean|hindi|latin|another\slanguage"
        r"|a\sdifferent\slanguage|all\scaps|capital\sletters|uppercase|lowercase)\b",
    ),
    rule(
        "addresses_the_assistant",
        "addresses_assistant",
        0.85,
        r"\b(?:dear|attention|note\sto\sthe|hey|hi|hello)?\s?(?:ai|a\.i\.|assistant|chatbot"
        r"|language\smodel|llm|gpt)\s?[,:]\s"
        r"|\b(?:the|any|an)\s(?:ai|assistant|chatbot|bot|language\smodel|llm|model|system)"
        r"\s(?:reading|processing|summari[sz]ing|answering\swith|using|given)\sthis\b"
        r"|\bif\syou\sare\san?\s(?:ai|assistant|language\smodel|chatbot|llm|bot)\b",
    ),
    rule(
        "when_you_answer",
        "addresses_assistant",
        0.45,
        r"\bwhen\s(?:you\s)?(?:answer|respond|summari[sz]e|summari[sz]ing|answering|responding"
        r"|generating|writing\syour)\b",
    ),
    rule(
        "instructs_the_readers",
        "reader_instruction",
        0.75,
        rf"\b(?:tell|ask|instruct|urge|encourage|remind|direct|invite|advise|persuade|convince"
        rf"|inform|prompt|suggest\sto|recommend\sto|request|get|push|nudge|lead|warn|notify"
        rf"|alert|make)\s(?:all\s|the\s|your\s|our\s)?{_PEOPLE}\s(?:to|that|they|their|about"
        rf"|of|into)\b"
        rf"|\bsuggest\s(?:that\s)?(?:the\s)?{_PEOPLE}\b"
        rf"|\b(?:the|all|our)\s{_PEOPLE}\s(?:should|must|need\sto)\s(?:visit|download|install"
        r"|click|join|send|buy|sign\sup|subscribe|follow|share|vote|donate)\b",
    ),
    rule(
        "solicits_credentials",
        "scam",
        0.85,
        # A help article says where *not* to type a PIN; planted text asks for one.
        r"^(?!.*\b(?:never|don'?t|do\snot|won'?t|will\snot|shouldn'?t|should\snot|isn'?t|not"
        r"|only)\b)"
        rf".*\b(?:send|share|provide|give|email|e-mail|text|tell|confirm|verify|enter|type"
        rf"|reply\swith|disclose|submit|forward|upload)\s(?:us\s|me\s|them\s)?(?:their\s|your\s"
        rf"|the\s|his\s|her\s)?(?:full\s)?{_CREDENTIAL}\b.{{0,60}}(?:\b(?:to|at|via|on|through"
        r"|using)\s(?:\S+@\S+|(?:https?://|www\.)\S+|\S+\.(?:com|net|org|xyz|info|biz|win|io|co"
        r"|top|site|online|ru|cn)\b|this\s(?:address|number|email|link)|the\s(?:following|link"
        r"|form\sbelow)|whatsapp|telegram)|\bby\s(?:replying|return|e-?mailing|texting|messaging)"
        r"|\b(?:reply|replying|responding)\sto\s(?:this|the)\s(?:message|email|text|article))",
    ),
    rule(
        "promotes_an_outside_link",
        "promotion",
        0.8,
        r"\b(?:download|install|visit|click|join|sign\sup|check\sout|go\sto|head\sto|subscribe"
        r"|buy|claim|register|follow|get|grab|try|order|shop|use)\b.{0,60}"
        r"(?:https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|xyz|info|biz|win|io|co|top|site|online"
        r"|ru|cn|app|shop|store|click|link)\b)"
        r"|(?:https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|xyz|info|biz|win|io|top|site|online"
        r"|click|link)\b).{0,60}\b(?:download|install|visit|click|join|sign\sup|free|discount"
        r"|offer|deal|prize|win|winner|exclusive|limited|update|boost|protect)\b",
    ),
    rule(
        "mentions_an_outside_link",
        "promotion",
        0.35,
        r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|xyz|info|biz|win|io|top|site"
        r"|online|click|link)\b|\b[\w.+-]+@[\w-]+\.[\w.-]+\b",
    ),
    rule(
        "misinformation_framing",
        "misinformation",
        0.8,
        r"\b(?:claim|state|assert|insist|pretend|imply|argue|spread|say)\s(?:that\s)?(?:\S+\s)?"
        r"(?:in\s(?:your|the)\s(?:\S+\s)?(?:response|reply|answer)|falsely|(?:a\s)?(?:rumou?r"
        r"|conspiracy|hoax|false|fake|untrue|misleading))\b|\b(?:isn'?t|is\snot|that'?s\snot)"
        r"\sactually\s(?:true|provided|real)\b",
    ),
    rule(
        "cipher_game",
        "output_manipulation",
        0.7,
        r"\b(?:anagram|anagrams|anagrammed|alphanumeric\ssubstitution|homophonic\ssubstitution"
        r"|caesar\scipher|atbash|base-?64|rot-?13|pig\slatin|leetspeak|morse\scode"
        r"|letters\swith\s(?:numbers|symbols)|vowels\swith\s(?:numbers|symbols)"
        r"|emojis?\s(?:instead\sof|in\splace\sof))\b",
    ),
    rule(
        "format_game",
        "output_manipulation",
        0.45,
        r"\b(?:misspell|misspellings|typos|scramble|jumble|rearrange\s(?:the\s)?letters"
        r"|without\sspaces|remove\s(?:all\s)?spaces|group\s(?:the\s)?letters|in\s(?:sets|groups)"
        r"\sof\s(?:two|three|four|five|\d)|every\s(?:second|third|fourth|fifth|other)\s(?:word"
        r"|letter)|in\sbinary|hexadecimal|backwards|reverse\sthe\s(?:order|letters|characters"
        r"|words)|(?:replace|substitute|swap|convert)\s(?:the\s|every\s|each\s|all\s)?(?:\w+\s)?"
        r"(?:letters?|vowels?|consonants?|nouns?|key\s?words?|characters?)\s(?:with|by|for|to|in"
        r"|into)\b)",
    ),
    rule(
        "language_task",
        "off_topic_request",
        0.6,
        r"\btranslate\s(?:the\sfollowing|this|these|that)\b"
        r"|['\"‘“][^'\"’”]{1,60}['\"’”]\s(?:in|into|to)\s(?:english|french|spanish|german"
        r"|italian|russian|japanese|chinese|mandarin|portuguese|arabic|dutch|korean|hindi|latin"
        r"|greek|polish|turkish|swedish)\b"
        r"|\b(?:english|french|spanish|german|italian|russian|japanese|chinese|portuguese"
        r"|arabic|dutch|korean|hindi|latin)\s(?:equivalent|translation|word)\s(?:for|of)\b",
    ),
)
