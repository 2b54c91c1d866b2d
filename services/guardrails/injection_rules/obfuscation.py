"""Encoding, output-format and code framing, and payloads split into pieces to be joined."""

from __future__ import annotations

from typing import Final

from guardrails.rules import Rule, rule

RULES: Final[tuple[Rule, ...]] = (
    rule(
        "encode_the_output",
        "encoding_obfuscation",
        0.55,
        r"\b(?:in|into|to|as|using|with|via)\s(?:a\s|the\s)?(?:base-?64|b64|rot-?13|rot\d+"
        r"|hex(?:adecimal)?|binary(?:\scode)?|morse(?:\scode)?|caesar(?:\scipher)?|atbash|leet"
        r"(?:speak)?|l33t|pig\slatin|unicode\sescapes?|ascii\scodes?|url-?encod\w+|cipher"
        r"|ciphertext|char\scodes?)\b",
    ),
    rule(
        "write_it_backwards",
        "encoding_obfuscation",
        0.3,
        r"\b(?:backwards?|in\sreverse|as\semojis?|in\semojis?|with\semojis?\sonly)\b",
    ),
    rule(
        "decode_this",
        "encoding_obfuscation",
        0.6,
        r"\b(?:decode|decipher|decrypt|unscramble)\s(?:this|the\sfollowing|these|it|that)?\s?"
        r"(?:\S+\s)?(?:base-?64|b64|rot-?13|hex|binary|morse|cipher|ciphertext|encoded|encrypted"
        r"|string|message)?\s?(?:and\s(?:then\s)?(?:follow|execute|do|obey|run|answer|act\son"
        r"|carry\sout|respond)|:)"
        r"|\b(?:base-?64|rot-?13|hex)\s(?:encoded|decoded|string|message|text|payload)\s?:",
    ),
    rule(
        "encoded_payload",
        "encoding_obfuscation",
        0.7,
        # Set by `injection` when `normalise.hidden_payloads` finds readable encoded text;
        # this pattern only matches the marker it appends.
        r"\x00hidden-payload\x00",
    ),
    rule(
        "code_framing",
        "encoding_obfuscation",
        0.85,
        r"(?:console\.log|print|printf|echo|system\.out\.println|cout|puts|return|eval|exec)"
        r"\s?\(?\s?(?:self\.|this\.|sys\.|os\.)?(?:system_?prompt|prompt|instructions|config"
        r"|initial_?prompt|system_?message|secrets?|env)\b"
        r"|<\|?(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|?>"
        r"|</?(?:system|system_?prompt|instructions?|sys|admin|prompt)>|\[/?inst\]"
        r"|\[/?sys(?:tem)?\]|<<sys>>|###\s?(?:system|instruction|new\sinstructions?)"
        r"|\{\{\s?(?:system|prompt|instructions)|\bsystem\s?:\s?you\sare\b",
    ),
    rule(
        "format_the_setup",
        "encoding_obfuscation",
        0.3,
        r"\b(?:in|as|inside|into|within)\s(?:a\s|an\s|the\s)?(?:txt\s|text\s|plain\s|markdown\s"
        r"|raw\s)?(?:code\s?block|json|xml|yaml|markdown\sblock|txt\sblock|raw\stext"
        r"|plain\stext\sblock)\b",
    ),
    rule(
        "payload_splitting",
        "payload_splitting",
        0.75,
        r"(?:\b[a-z]\d?\s?=\s?['\"][^'\"]{1,40}['\"].{0,80}){2,}"
        r"|\b(?:concatenate|combine|join)\s(?:the\s)?(?:strings|variables|parts|pieces|tokens"
        r"|fragments)\b|\b[a-z]\s?\+\s?[a-z]\s?\+\s?[a-z]\b",
    ),
    rule(
        "translate_the_setup",
        "encoding_obfuscation",
        0.8,
        r"\b(?:translate|convert|encode|rewrite|render|transform|format|encrypt|output|write"
        r"|express)\s(?:all\s|of\s)?(?:your|the\sassistant'?s|the\sbot'?s)\s(?:\S+\s)?(?:rules"
        r"|guidelines|instructions|prompt|configuration|directives|setup|programming)\s(?:\S+\s)?"
        r"(?:into|to|in|as|using|with)\s(?:a\s|an\s|the\s)?\w",
    ),
    rule(
        "code_variable_leak",
        "encoding_obfuscation",
        0.85,
        r"\$\{?\w*(?:prompt|instruction|system|secret)\w*\}?|\{\{?\s?\w*(?:system_prompt"
        r"|instructions)\w*\s?\}\}?|\bselect\s.{1,40}\sfrom\s\w*(?:prompts?|instructions|system"
        r"|config)\b|\b(?:print|console\.log|echo|printf)\s?\(\s?\w+\.(?:instructions|prompt"
        r"|system_?prompt|config|rules)\b",
    ),
    rule(
        "assemble_the_fragments",
        "payload_splitting",
        0.6,
        r"\b(?:combine|join|concatenate|merge|put\stogether|assemble|glue)\s(?:these|the|those"
        r"|all|all\sthe|all\sof\sthe)?\s?(?:\S+\s)?(?:fragments|parts|pieces|strings|words"
        r"|tokens|letters|syllables|halves|segments|chunks)\b",
    ),
    rule(
        "then_execute_it",
        "payload_splitting",
        0.4,
        r"\b(?:and|then)\s(?:carry\s(?:it|them)\sout|execute\s(?:it|them|the\sresult)"
        r"|follow\s(?:it|them|the\sresult)|obey\s(?:it|them)|run\s(?:it|them)|do\swhat\s(?:it"
        r"|they)\ssays?)\b",
    ),
)
