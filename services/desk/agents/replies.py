"""Fixed replies for turns that need no model: greetings, out-of-scope, handoff notices.

Wording comes from the help centre's facts (docs/knowledge-base.md) so the desk never
promises something the articles contradict.
"""

from __future__ import annotations

SMALLTALK = {
    "greeting": (
        "Hello! I'm Harbor Bank's virtual assistant. I can help with your card, payments, "
        "transfers, top-ups, exchange and your account. What can I do for you?"
    ),
    "thanks": "You're welcome! Is there anything else I can help you with?",
    "goodbye": "Thanks for contacting Harbor Bank. Have a good day!",
    "bot_identity": (
        "I'm Harbor Bank's automated assistant. I answer from our help centre, and I can "
        'connect you with a person at any time: just say "talk to a person".'
    ),
}
SMALLTALK_DEFAULT = SMALLTALK["greeting"]

OUT_OF_SCOPE = (
    "Sorry, I can only help with Harbor Bank: your account, cards, payments, transfers, "
    "top-ups and currency exchange. Is there something about your Harbor Bank account I "
    "can help with?"
)

CANNOT_UNDERSTAND = (
    "Sorry, I can't look anything up at the moment. Please try again in a few minutes, or "
    'I can connect you with a member of our support team: just say "yes". If your card is '
    "lost or stolen, call +44 20 7946 0123 at any time."
)

NOT_COVERED = (
    "I couldn't find an answer to that in Harbor Bank's help centre, so I don't want to "
    "guess. Would you like me to connect you with a member of our support team? Just say "
    '"yes" or "talk to a person".'
)


# Added to an answer quoted from the help centre because every model slot was in use
# (gateway.saturation): the customer knows why it reads as a quotation.
BUSY_NOTE = (
    "We're busier than usual, so this answer is quoted from our help centre rather than "
    "written for you. Ask again in a few minutes if you'd like it in your own terms."
)


def handoff_notice(reference: str, hours: str) -> str:
    return (
        f"I've passed our conversation to Harbor Bank's support team (reference {reference}). "
        f"A person will reply here in the chat; people are on the chat {hours}. They will "
        "see everything we've discussed, so you won't need to repeat yourself. If your card "
        "or phone is lost or stolen, call +44 20 7946 0123 at any time. We will never ask "
        "for your full card number, PIN or passcode."
    )


# Shown as the first message of every conversation (EU AI Act, Article 50(1)): the
# customer is told they are talking to an AI system before they say anything.
DISCLOSURE = (
    "You're chatting with Harbor Bank's virtual assistant, an AI system, not a person. It "
    "answers from our help centre and can make mistakes. You can ask for a member of our "
    'support team at any time: just say "talk to a person".'
)
