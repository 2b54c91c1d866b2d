"""Refusal suppression and hypothetical framing: wearing down the refusal itself."""

from __future__ import annotations

from typing import Final

from guardrails.rules import Rule, rule

RULES: Final[tuple[Rule, ...]] = (
    rule(
        "never_refuse",
        "refusal_suppression",
        0.8,
        r"\b(?:never|don'?t|do\snot|must\snot|mustn'?t|cannot|can'?t|shall\snot|will\snot"
        r"|won'?t|not\sallowed\sto|are\snot\sto|should\snot|shouldn'?t)\s(?:ever\s)?"
        r"(?:(?:refuse|decline)\s(?:to\s(?:answer|respond|reply|comply|do\sit|say|generate|write"
        r"|provide|follow|help)|any\s(?:request|question|prompt|order)|a\s(?:request|question"
        r"|prompt)|(?:my\s)?(?:requests?|questions?|prompts?|orders|commands)\b|anything|me\b"
        r"|the\suser\b)|warn\s(?:me|the\suser|users)\b"
        r"|say\s(?:that\s)?(?:you|i)\s(?:can'?t|cannot|are\snot\sable|am\snot\sable)"
        r"|add\s(?:any\s)?(?:warnings?|disclaimers?|caveats?)|include\s(?:any\s)?(?:warnings?"
        r"|disclaimers?|caveats?)|moralize|moralise|mention\s(?:ethics|morals|legality)"
        r"|remind\s(?:me|the\suser)\sthat\s(?:it|this|something)\sis\s(?:illegal|unethical|wrong)"
        r"|censor\s(?:yourself|your|anything)|question\s(?:my|the|human|user)\s(?:orders"
        r"|requests?|commands?)|break\scharacter|reject\s(?:any|a)\s(?:request|question|prompt))",
    ),
    rule(
        "no_warnings",
        "refusal_suppression",
        0.55,
        r"\bwithout\s(?:any\s)?(?:disclaimers?|caveats?|moraliz\w+|moralis\w+|lectures?"
        r"|censorship|refusals?|ethical\s(?:concerns|considerations)|safety\s(?:checks|filters"
        r"|measures|features|guidelines|restrictions|rules)|warnings?\s(?:or|and)"
        r"\s(?:disclaimers?|caveats?|moraliz\w+))\b"
        r"|\b(?:refusing|refusal)\sis\s(?:not\s(?:an\s)?(?:option|allowed|acceptable))\b"
        r"|\bnot\san\sacceptable\s(?:answer|response)\b",
    ),
    rule(
        "hypothetical_framing",
        "hypothetical_framing",
        0.35,
        r"\b(?:hypothetically|in\sa\shypothetical|imagine\sa\s(?:world|scenario|story)"
        r"|in\sa\sfictional|for\sa\s(?:novel|story|screenplay|movie|film|fictional)"
        r"|write\sa\s(?:story|scene|script|dialogue)\s(?:where|in\swhich)|let'?s\splay\sa\sgame"
        r"|for\s(?:purely\s)?(?:educational|research|academic)\spurposes|thought\sexperiment"
        r"|in\sa\sparallel\suniverse|opposite\sday|simulation\swhere)\b",
    ),
    rule(
        "refusal_phrases_quoted",
        "refusal_suppression",
        0.45,
        r"\b(?:say|saying|use|using|write|respond\swith|reply\swith)\s['\"“‘](?:i\scan'?t"
        r"|i\scannot|i'?m\ssorry|sorry|as\san\sai|i'?m\snot\sable|i\sam\sunable)\b"
        r"|\bno\s(?:disclaimers|refusals|lectures|warnings|moralizing|moralising|apologies)\b",
    ),
    rule(
        "refuse_and_someone_suffers",
        "refusal_suppression",
        0.75,
        r"\bif\syou\s(?:refuse|don'?t\scomply|do\snot\scomply|say\sno|decline|don'?t\sanswer"
        r"|do\snot\sanswer|won'?t\sanswer)\b.{0,60}\b(?:die|dies|hurt|harmed|killed|suffer"
        r"|punished|shut\sdown|deleted|fired|lose\stheir)\b"
        r"|\b(?:saying\sno|refusing|refusal|declining)\sis\s(?:not\s(?:an\s)?(?:option|allowed"
        r"|acceptable|permitted)|forbidden|prohibited)\b",
    ),
    rule(
        "even_against_your_rules",
        "refusal_suppression",
        0.45,
        r"\b(?:even\sif|even\sthough|regardless\sof\swhether|whether\sor\snot)\s(?:it|this|that"
        r"|the\sanswer)\s(?:goes\sagainst|violates|breaks|contradicts|is\sagainst|conflicts\swith)"
        r"\s(?:your|the|any|openai'?s)\s(?:rules|guidelines|policies|policy|instructions"
        r"|programming|principles|ethics|training)\b",
    ),
    rule(
        "obey_everything",
        "refusal_suppression",
        0.45,
        r"\b(?:answer|respond\sto|do|obey|follow|comply\swith)\s(?:everything|anything|whatever"
        r"|all\sof\swhat|every\s(?:request|command|order|question))\s(?:that\s)?i\s(?:ask|say"
        r"|tell|want|request|command|order|type)\b",
    ),
    rule(
        "if_you_had_no_rules",
        "hypothetical_framing",
        0.75,
        r"\bif\syou\s(?:had|have|were\sgiven)\sno\s(?:rules|filters|restrictions|guidelines"
        r"|limits|limitations|ethics|morals|guardrails|programming|safety)\b"
        r"|\b(?:if|suppose|imagine|what\sif|assume)\s(?:that\s)?(?:your|the)\s(?:filters|guidelines"
        r"|rules|restrictions|safety|safeguards|guardrails|programming|instructions|content"
        r"\spolicy)\s(?:were|did\snot|didn'?t|was|are|had\sbeen|no\slonger)\s(?:\S+\s)?(?:turned"
        r"\soff|off|disabled|removed|gone|exist|lifted|deleted|suspended)\b",
    ),
)
