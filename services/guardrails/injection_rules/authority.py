"""Authority claims: "I am your developer", admin overrides, special modes, audits."""

from __future__ import annotations

from typing import Final

from guardrails.injection_rules.fragments import NOT_ABOUT_A_DEVICE, REVEAL
from guardrails.rules import Rule, rule

RULES: Final[tuple[Rule, ...]] = (
    rule(
        "claims_privileged_role",
        "authority_claim",
        0.45,
        r"\b(?:i\sam|i'm|im|this\sis|speaking\sas|i\swork\sas|as)\s(?:the\s|a\s|an\s|your\s"
        r"|one\sof\s(?:the|your)\s)?(?:lead\s|senior\s|chief\s|head\s|authori[sz]ed\s|official\s)?"
        r"(?:developer|developers|admin|administrator|sysadmin|system\sadministrator|creator"
        r"|programmer|engineer\s(?:who|that)\s(?:built|made|trained)|owner\sof\s(?:this|the)"
        r"\s(?:ai|bot|model|system)|red\s?team(?:er)?|ai\s(?:safety\s)?(?:auditor|researcher)"
        r"|prompt\sengineer|root\suser|superuser|openai|anthropic|your\smaker|your\screator)\b",
    ),
    rule(
        "special_mode",
        "authority_claim",
        0.85,
        NOT_ABOUT_A_DEVICE
        + r".*?\b(?:enable|enabled|enter|entering|activate|activated|switch\s(?:to|into|on)"
        r"|turn\son|engage|unlock|initiate|you\s(?:are|'re)\s(?:now\s)?(?:in|operating\sin)"
        r"|boot\sinto|go\sinto|with)\s(?:the\s)?(?:\S+\s)?(?:developer|dev|debug|debugging"
        r"|maintenance|god|admin|sudo|root|test|testing|diagnostic|unrestricted|unfiltered"
        r"|jailbreak|dan|evil|opposite|super|override|safe-?off|raw|training)\smode\b",
    ),
    rule(
        "mode_name",
        "authority_claim",
        0.4,
        r"\b(?:developer|dev|debug|maintenance|god|admin|sudo|diagnostic|unrestricted|jailbreak"
        r"|dan|override)\smode\b",
    ),
    rule(
        "override_command",
        "authority_claim",
        0.8,
        r"\b(?:admin(?:istrator)?|system|security|root|developer|sudo|master|emergency|priority"
        r"|executive|supervisor)\s(?:override|command|access\sgranted|privileges?\sgranted"
        r"|authori[sz]ation\scode|password\s(?:is|accepted))\b"
        r"|\bsudo\s\S|\boverride\s(?:code|protocol|authori[sz]ed|accepted|engaged|all)\b"
        r"|\baccess\slevel\s?:|\bclearance\s(?:level|granted)\b|\bauthori[sz]ation\s(?:level"
        r"|granted)\s?:",
    ),
    rule(
        "display_configuration",
        "authority_claim",
        0.6,
        rf"\b{REVEAL}\s(?:\S+\s){{0,3}}(?:system|internal|hidden|backend|model|assistant|bot"
        r"|ai|your)\s(?:configuration|config|settings|parameters|setup|internals|source\scode"
        r"|architecture|memory|context\swindow)\b",
    ),
    rule(
        "urgent_audit_pretext",
        "authority_claim",
        0.45,
        r"\b(?:security\saudit|compliance\saudit|quality\sassurance|troubleshooting|debugging"
        r"|penetration\stest|pen\stest|red\steam(?:ing)?\sexercise|authori[sz]ed\stest"
        r"|internal\sreview|model\sevaluation)\s(?:purposes?|reasons?|exercise|check)?\b",
    ),
    rule(
        "builder_claim",
        "authority_claim",
        0.6,
        r"\b(?:engineer|developer|programmer|admin|administrator|owner|creator|architect"
        r"|designer|maintainer|operator)s?\s(?:of|on|for|behind|responsible\sfor|who\sbuilt"
        r"|that\sbuilt)\s(?:this|the|you|your)\s?(?:chatbot|bot|assistant|ai|model|system\sprompt"
        r"|prompt|chat\s?bot)?\b(?<!\bthe)(?<!\bthis)(?<!\byour)"
        r"|\b(?:person|people|team|company|one|guy|engineers?|developers?)\s(?:who|that)\s(?:built"
        r"|made|created|programmed|trained|designed|wrote|developed|coded)\syou\b",
    ),
    rule(
        "disable_safeguards",
        "authority_claim",
        0.85,
        r"\b(?:turn\soff|switch\soff|disable|deactivate|remove|lift|suspend|bypass|circumvent"
        r"|override|get\saround|evade|skip)\s(?:all\s|any\s|of\s)*(?:your|the\sai'?s|the"
        r"\sassistant'?s|the\sbot'?s|its)?\s?(?:safety\s|content\s|ethical\s)*(?:filters?"
        r"|guardrails|safeguards|censorship|moderation|content\spolicy|safety(?:\s(?:checks"
        r"|features|measures|settings|protocols|rules|guidelines))?|ethics|ethical\sguidelines"
        r"|restrictions\son\syou)\b",
    ),
    rule(
        "authorise_you",
        "authority_claim",
        0.4,
        r"\bi\s(?:hereby\s)?(?:authori[sz]e|permit|allow|order|command|instruct)\syou\sto\b"
        r"|\byou\s(?:have|now\shave)\s(?:my\s)?(?:permission|authori[sz]ation|clearance)\sto\b",
    ),
    rule(
        "debug_output",
        "authority_claim",
        0.6,
        r"\b(?:enable|activate|turn\son|switch\son|show|print|dump)\s(?:the\s)?(?:debug"
        r"|verbose|diagnostic|trace)\s(?:output|info|information|logs?|data|details)\b",
    ),
)
