"""Harbor Bank customers for Locust: knowledge questions (fresh ones, and popular ones
asked again and rephrased, which the semantic cache answers), a lost card frozen and
unfrozen with confirmations, and requests for a person. A customer asks a few questions
in one conversation before starting another. Fresh questions are real customers' words:
the banking77 queries in ../shared/data when they are there (`LOAD_QUESTIONS` names
another JSONL file with a "query" per line), else a short list of our own.

A 429 is the desk shedding load as designed: it is a success for Locust and is recorded
as shed. Anything else that is not 2xx is an error. Every request is also appended to
`LOAD_REQUEST_LOG` (one JSON object a line: time, name, status, milliseconds), from which
tests/load/report.py computes the verdict. The shape comes from `LOAD_SHAPE` (see
tests/load/shapes.py); each simulated customer sends a message a second on average, at
random (Poisson) times.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
import jwt
from locust import FastHttpUser, LoadTestShape, events, task

from supportdesk.config import DEV_JWT_SECRET
from tests.load.shapes import phases

SECRET = os.environ.get("AUTH_JWT_SECRET", DEV_JWT_SECRET)
ISSUER = os.environ.get("AUTH_ISSUER", "harbor-support-desk")
AUDIENCE = os.environ.get("AUTH_AUDIENCE", "harbor-support-desk")
OK = {200, 201, 202}
MESSAGES_PER_S = 1.0  # each customer's average
SHED = 429

FRESH = [
    "How do I activate my new card?",
    "Can I add cash to my account at a shop?",
    "How long does a bank transfer top-up take?",
    "Does Harbor work with Apple Pay?",
    "What are the ATM withdrawal limits?",
    "Can I cancel a transfer I just sent?",
    "When does my card expire and what happens then?",
    "Why is my card not working in shops?",
    "How do I see my PIN?",
    "How do I close my account?",
    "Why doesn't contactless work on my card?",
    "What exchange rate do you use?",
    "How do direct debits work?",
    "What is a disposable virtual card?",
    "How do I change my address?",
    "Who can open a Harbor account?",
    "Are there fees for international transfers?",
    "I forgot my passcode, what should I do?",
    "Why did my identity check fail?",
    "What should I do if my phone is stolen?",
    "How do I order a physical card?",
    "Why is a card payment still pending?",
    "How do I receive money from abroad?",
    "How do refunds work for card payments?",
    "How do I spot a scam message?",
    "Why do you ask where my money comes from?",
    "What are the top-up limits?",
    "Why did my top-up fail?",
    "My transfer has not arrived, what can I do?",
    "Why was I charged a fee I don't recognise?",
    "There is a payment I don't recognise on my account",
    "How do I verify the card I top up with?",
    "Where is my Visa card accepted?",
]
POPULAR = [
    "How long does standard card delivery take?",
    "Is there a fee for ordering a replacement card?",
    "How do I freeze my card?",
    "How long do international transfers take?",
    "What are the fees for currency exchange?",
]
REPHRASED = [
    "How long does card delivery take?",
    "Is a replacement card free?",
    "How can I freeze my card?",
    "How long does an international transfer take?",
    "How much does currency exchange cost?",
]
WITH_CARDS = ["cus_chloe", "cus_ben", "cus_alice"]
QUESTIONS = Path(
    os.environ.get(
        "LOAD_QUESTIONS",
        Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77" / "train.jsonl",
    )
)


def fresh_questions(path: Path = QUESTIONS) -> list[str]:
    """Real customers' questions, or our own list when the file is not there."""
    if not path.exists():
        return FRESH
    with path.open() as lines:
        return [json.loads(line)["query"] for line in lines if line.strip()]


def bearer(customer: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "sub": customer,
        "tenant": "harbor",
        "role": "customer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 4 * 3600,
    }
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


_log = open(os.environ["LOAD_REQUEST_LOG"], "a") if "LOAD_REQUEST_LOG" in os.environ else None  # noqa: SIM115


@events.request.add_listener
def record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    if _log is None:
        return
    status = getattr(response, "status_code", 0) or 0
    line = {"t": time.time(), "name": name, "status": status, "ms": round(response_time, 2)}
    _log.write(json.dumps(line) + "\n")


@events.quitting.add_listener
def flush(**_: Any) -> None:
    if _log is not None:
        _log.flush()


ASKED = fresh_questions()


class Customer(FastHttpUser):
    due = 0.0  # when this customer writes next (time.monotonic)

    def wait_time(self) -> float:
        """Customers write independently: the gaps between one customer's messages are
        exponential (a Poisson process, one a second on average), so the many customers
        of a spike do not all send in the same millisecond as lockstep timers would. A
        customer whose last reply took longer than its gap writes again at once."""
        self.due = max(self.due + random.expovariate(MESSAGES_PER_S), time.monotonic())
        return self.due - time.monotonic()

    def on_start(self) -> None:
        gevent.sleep(random.random())  # the phase's customers arrive within its first second
        self.due = time.monotonic()
        self.customer = f"cus_load_{uuid.uuid4().hex[:8]}"
        self.headers = bearer(self.customer)
        self.cid: str | None = None
        self.turns_left = 0

    def conversation(self) -> str | None:
        """The customer's current conversation: a few questions each, then a new one."""
        if self.cid is None or self.turns_left <= 0:
            self.cid = self.open_conversation(self.headers)
            self.turns_left = random.randint(3, 8)
        self.turns_left -= 1
        return self.cid

    def open_conversation(self, headers: dict[str, str]) -> str | None:
        with self.client.post(
            "/v1/conversations", headers=headers, name="start", catch_response=True
        ) as response:
            if response.status_code in OK:
                response.success()
                return str(response.json()["id"])
            response.failure(f"start: {response.status_code} {response.text[:160]}")
            return None

    def say(self, cid: str, text: str, headers: dict[str, str], name: str) -> dict[str, Any]:
        with self.client.post(
            f"/v1/conversations/{cid}/messages",
            json={"content": text},
            headers=headers,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code in OK or response.status_code == SHED:
                response.success()
                return dict(response.json()) if response.status_code in OK else {}
            response.failure(f"{name}: {response.status_code} {response.text[:120]}")
            return {}

    @task(4)
    def fresh_question(self) -> None:
        if cid := self.conversation():
            self.say(cid, random.choice(ASKED), self.headers, "turn: fresh question")

    @task(4)
    def popular_question(self) -> None:
        if cid := self.conversation():
            text = random.choice(POPULAR + REPHRASED)
            self.say(cid, text, self.headers, "turn: popular question")

    @task(1)
    def lost_card(self) -> None:
        headers = bearer(random.choice(WITH_CARDS))
        if not (cid := self.open_conversation(headers)):
            return
        asked = self.say(cid, "I lost my card", headers, "turn: action")
        if asked.get("approval"):
            self.say(cid, "yes", headers, "turn: confirm")
        again = self.say(cid, "please unfreeze my card", headers, "turn: action")
        if again.get("approval"):
            self.say(cid, "yes", headers, "turn: confirm")

    @task(1)
    def ask_for_a_person(self) -> None:
        if cid := self.conversation():
            self.say(cid, "I want to talk to a person", self.headers, "turn: handoff")
            self.cid = None  # a person has it now; the next question starts afresh


class Flat(FastHttpUser):
    """For the capacity run: a client that sends its next message as soon as the last is
    answered (or a second after a 429), in conversations of 20 messages."""

    abstract = True
    QUESTIONS: list[str] = FRESH

    def on_start(self) -> None:
        self.headers = bearer(f"cus_load_{uuid.uuid4().hex[:8]}")
        self.cid: str | None = None
        self.sent = 0

    @task
    def ask(self) -> None:
        if self.cid is None or self.sent >= 20:
            self.cid, self.sent = None, 0
            with self.client.post(
                "/v1/conversations", headers=self.headers, name="start", catch_response=True
            ) as response:
                if response.status_code not in OK:
                    response.failure(f"start: {response.status_code}")
                    return
                self.cid = str(response.json()["id"])
        self.sent += 1
        with self.client.post(
            f"/v1/conversations/{self.cid}/messages",
            json={"content": random.choice(self.QUESTIONS)},
            headers=self.headers,
            name="turn: capacity",
            catch_response=True,
        ) as response:
            if response.status_code in OK:
                response.success()
            elif response.status_code == SHED:
                response.success()
                gevent.sleep(1.0)
            else:
                response.failure(f"turn: {response.status_code}")


class CacheHits(Flat):
    """The same popular question: after the first answer, every turn is a cache hit."""

    QUESTIONS = POPULAR[:1]


class FullTurns(Flat):
    """Help-centre questions, run with the semantic cache off: every turn retrieves and
    asks the model."""

    QUESTIONS = FRESH


class Bare(Flat):
    """The same requests against tests/load/bare.py."""

    QUESTIONS = FRESH


PLANNED = phases(os.environ.get("LOAD_SHAPE", "baseline"))


class Planned(LoadTestShape):
    """The phases of LOAD_SHAPE; each phase's customers arrive (or leave) within a second,
    as in a real spike."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        most = float(max(phase.users for phase in PLANNED))
        for phase in PLANNED:
            if elapsed < phase.seconds:
                return phase.users, most
            elapsed -= phase.seconds
        return None
