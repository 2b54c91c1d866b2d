"""Entity tracking across turns (knowledge.entities): rules, no model."""

from __future__ import annotations

from knowledge.entities import EntityTracker, words

ROWS = [
    ("ALEXANDER BED AND BREAKFAST", "hotel", "Breakfast is included. The rooms are quiet."),
    ("GONVILLE HOTEL", "hotel", "There is a nice place to sit and the view is lovely."),
    ("ALLENBELL", "hotel", "Free wifi in every room; parking in the north car park."),
    ("ASHLEY HOTEL", "hotel", "Rooms are small but clean."),
    ("THE LENSFIELD HOTEL", "hotel", "A grand old place."),
    ("CITY CENTRE NORTH B AND B", "hotel", "A short walk from the centre."),
    ("TANDOORI PALACE", "restaurant", "A lovely place for curry in the north."),
    ("SITAR TANDOORI", "restaurant", "The best place in town, north of the river."),
    ("MAHARAJAH TANDOORI RESTAURANT", "restaurant", "A place with a view."),
    ("PIZZA EXPRESS", "restaurant", "Pizza in the centre, a great place."),
    ("PIZZA EXPRESS FEN DITTON", "restaurant", "Pizza by the river, a quiet place north."),
    ("NANDOS", "restaurant", "Chicken, a busy place in the north."),
    ("NANDOS CITY CENTRE", "restaurant", "Chicken in the centre."),
    ("THE GOLDEN CURRY", "restaurant", "Curry, a popular place."),
]
TRACKER = EntityTracker(ROWS)


def test_spellings_of_one_name_agree() -> None:
    assert words("Rosa's B&B") == words("rosas bed and breakfast")
    assert words("the guesthouse") == ["the", "guest", "house"]


def test_full_shortened_and_misspelt_names_are_found() -> None:
    assert TRACKER.mentioned("Might I suggest the Alexander Bed and Breakfast?") == {
        "ALEXANDER BED AND BREAKFAST"
    }
    assert TRACKER.mentioned("The Alexander B&B is 4 star rated") == {"ALEXANDER BED AND BREAKFAST"}
    assert TRACKER.mentioned("The Gonville is fine, I need its postcode") == {"GONVILLE HOTEL"}
    assert TRACKER.mentioned("How about the Allenbel?") == {"ALLENBELL"}
    assert TRACKER.mentioned("I'd like the golden curry") == {"THE GOLDEN CURRY"}


def test_everyday_words_are_not_names() -> None:
    # "place" is one edit from "palace", "north" is the distinctive part of a name: both are
    # in the documents of three or more entities, so neither names anything alone.
    assert TRACKER.mentioned("Does this place have a nice view?") == set()
    assert TRACKER.mentioned("It's a guesthouse in the north") == set()


def test_a_longer_name_that_matched_wins_and_equal_matches_are_kept() -> None:
    assert TRACKER.mentioned("a table at Pizza Express Fen Ditton") == {"PIZZA EXPRESS FEN DITTON"}
    assert TRACKER.mentioned("a table at Pizza Express") == {"PIZZA EXPRESS"}
    assert TRACKER.mentioned("Nandos is very popular") == {"NANDOS"}


def test_the_newest_turn_that_names_something_decides() -> None:
    history = [
        ("user", "I need a hotel, something cheap."),
        ("assistant", "The Allenbell is cheap. Shall I book it?"),
        ("user", "And a restaurant please."),
        ("assistant", "Nandos serves portuguese food. Would you like more information?"),
    ]
    assert TRACKER.focus("Is it busy at night?", history) == ("NANDOS",)
    # A question naming a kind skips newer entities of another kind.
    assert TRACKER.focus("Does the hotel have free wifi?", history) == ("ALLENBELL",)
    assert TRACKER.focus("What about the Gonville?", history) == ("GONVILLE HOTEL",)


def test_two_named_in_one_turn_are_both_in_focus() -> None:
    history = [("assistant", "There is the Gonville Hotel and the Allenbell.")]
    assert TRACKER.focus("Which one has the better view?", history) == (
        "ALLENBELL",
        "GONVILLE HOTEL",
    )


def test_a_knowledge_base_without_entities_tracks_nothing() -> None:
    tracker = EntityTracker([])
    assert len(tracker) == 0
    assert tracker.focus("Where is my card?", [("assistant", "The Allenbell")]) == ()
