"""The idle pollers' bell (localcloud.esm.wakeups): rings, due rings, arming, closing."""

from __future__ import annotations

import threading

from localcloud.esm.wakeups import Subscriptions, Wakeup, WakeupBoard

# Longer than any test may take: a wait that ends did so because something ended it.
NEVER_S = 60.0


def test_a_ring_after_arming_ends_the_wait() -> None:
    wakeup = Wakeup()
    wakeup.arm()
    wakeup.ring()

    assert wakeup.wait(NEVER_S) is True


def test_arming_forgets_rings_the_read_after_it_has_seen() -> None:
    wakeup = Wakeup()
    wakeup.ring()
    wakeup.arm()

    assert wakeup.wait(0) is False


def test_a_ring_from_another_thread_ends_a_wait_in_progress() -> None:
    wakeup = Wakeup()
    wakeup.arm()
    woken: list[bool] = []
    waiter = threading.Thread(target=lambda: woken.append(wakeup.wait(NEVER_S)))
    waiter.start()
    wakeup.ring()
    waiter.join(NEVER_S)

    assert woken == [True]


def test_a_due_ring_ends_the_wait_when_due_not_before() -> None:
    wakeup = Wakeup()
    wakeup.arm()
    wakeup.ring(delay_s=0.2)

    assert wakeup.wait(0) is False  # not yet due
    assert wakeup.wait(NEVER_S) is True
    assert wakeup.wait(0) is False  # consumed


def test_each_due_ring_ends_a_wait_of_its_own() -> None:
    wakeup = Wakeup()
    wakeup.ring(delay_s=0.1)
    wakeup.ring(delay_s=0.3)

    assert wakeup.wait(NEVER_S) is True
    assert wakeup.wait(0) is False  # the second is not due yet
    assert wakeup.wait(NEVER_S) is True


def test_the_board_rings_only_what_watches_the_key() -> None:
    board = WakeupBoard()
    stream, table, other_table = (
        board.subscribe(("kinesis", "records")),
        board.subscribe(("dynamodb", "processed")),
        board.subscribe(("dynamodb", "listener")),
    )
    board.ring([("kinesis", "records")])

    assert (stream.wait(0), table.wait(0), other_table.wait(0)) == (True, False, False)

    board.ring_service("dynamodb")
    assert (table.wait(0), other_table.wait(0)) == (True, True)


def test_closing_subscriptions_ends_their_waits_and_leaves_the_board_to_others() -> None:
    board = WakeupBoard()
    stopping, staying = Subscriptions(board), Subscriptions(board)
    mine, theirs = stopping.subscribe(("sqs", "q")), staying.subscribe(("sqs", "q"))
    stopping.close()
    late = stopping.subscribe(("sqs", "q"))  # a poller thread starting while they stop

    assert mine.wait(NEVER_S) is True
    assert late.wait(NEVER_S) is True
    theirs.arm()
    assert theirs.wait(0) is False
    board.ring([("sqs", "q")])
    assert theirs.wait(0) is True
