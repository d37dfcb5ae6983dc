"""Zero copy and threads: a screenshot is the pooled slot itself, slots come back from any
thread when the last view goes, memory stays flat over thousands of frames, and the GIL is
released while the module waits."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

import mss
from mss.exception import BuffersExhaustedError
from scene import TestDisplay, assert_pixels, assert_shows_scene, expected_rgb, shot_rgb

REGION = {"left": 0, "top": 0, "width": 640, "height": 480}


def address(shot: object) -> int:
    return int(np.asarray(shot).__array_interface__["data"][0])


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_a_screenshot_is_its_slot_which_is_reused_once_released(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        first = sct.grab(REGION)
        first_address = address(first)
        held = sct.grab(REGION)
        assert address(held) != first_address, "a held slot is never written"
        assert_shows_scene(first)
        del first
        again = sct.grab(REGION)
        assert address(again) == first_address, "the released slot is the next one leased"
        assert_shows_scene(again)
        assert_shows_scene(held)


def test_views_keep_the_slot_and_it_returns_when_the_last_goes(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        shot = sct.grab(REGION)
        slot = address(shot)
        view = memoryview(shot)
        array = np.asarray(shot)
        del shot
        # Grabs are held, so the only slot that can come free is the first one.
        second = sct.grab(REGION)
        assert address(second) != slot, "a memoryview and an array hold the slot"
        del view
        third = sct.grab(REGION)
        assert address(third) != slot, "the array still holds it"
        del array
        assert address(sct.grab(REGION)) == slot
        assert_shows_scene(second)
        assert_shows_scene(third)


def test_held_screenshots_exhaust_the_pool_and_a_release_on_another_thread_frees_it(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        held = [sct.grab(REGION) for _ in range(8)]
        with pytest.raises(BuffersExhaustedError) as raised:
            sct.grab(REGION)
        assert raised.value.details == {"limit": 8}
        handed: queue.Queue = queue.Queue()
        handed.put(held.pop())

        def release() -> None:
            shot = handed.get()
            assert_shows_scene(shot)
            del shot

        releaser = threading.Thread(target=release)
        releaser.start()
        releaser.join()
        assert_shows_scene(sct.grab(REGION))
        for shot in held:
            assert_shows_scene(shot)


def test_thousands_of_frames_released_on_other_threads_keep_memory_flat(xvfb: TestDisplay) -> None:
    frames: queue.Queue = queue.Queue(maxsize=4)
    expected = expected_rgb(0, 0, 640, 480)
    checked = []

    def consume() -> None:
        while (shot := frames.get()) is not None:
            if shot.sequence_number % 250 == 0:
                assert_pixels(shot_rgb(shot.shot), expected)
            checked.append(shot.sequence_number)
            del shot

    class Numbered:
        def __init__(self, shot: object, sequence_number: int) -> None:
            self.shot, self.sequence_number = shot, sequence_number

    consumers = [threading.Thread(target=consume) for _ in range(2)]
    for consumer in consumers:
        consumer.start()
    with mss.MSS(display=xvfb.display) as sct:
        for number in range(200):
            frames.put(Numbered(sct.grab(REGION), number))
        baseline = resident_bytes()
        for number in range(200, 3000):
            frames.put(Numbered(sct.grab(REGION), number))
        for _ in consumers:
            frames.put(None)
        for consumer in consumers:
            consumer.join()
        grown = resident_bytes() - baseline
    assert sorted(checked) == list(range(3000))
    # 2800 frames of 1.2 MB went through: a leak of one frame in ten would be 330 MB.
    assert grown < 32 * 1024 * 1024, f"resident memory grew by {grown} bytes"


@pytest.mark.parametrize("shared", [True, False], ids=["one-object", "object-per-thread"])
def test_grabs_on_several_threads_are_exact(xvfb: TestDisplay, shared: bool) -> None:
    errors: list[BaseException] = []
    common = mss.MSS(display=xvfb.display) if shared else None

    def work(index: int) -> None:
        try:
            sct = common or mss.MSS(display=xvfb.display)
            for step in range(40):
                left, top = (index * 97 + step * 13) % 600, (index * 53 + step * 7) % 440
                shot = sct.grab({"left": left, "top": top, "width": 40, "height": 40})
                assert_shows_scene(shot)
            if common is None:
                sct.close()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if common is not None:
        common.close()
    assert errors == []


def test_the_gil_is_released_while_a_stream_waits(xvfb: TestDisplay) -> None:
    """A thread waits in ``next()`` for a change that only this thread's Python code makes:
    if the module held the GIL while waiting, that code could not run until the wait timed
    out, and the waiting thread would get nothing."""
    with mss.MSS(display=xvfb.display) as sct, sct.stream(REGION, changes_only=True) as stream:
        assert_shows_scene(stream.next(timeout=30))
        waiting = threading.Event()
        received = []

        def wait_for_the_change() -> None:
            waiting.set()
            received.append(stream.next(timeout=30))

        waiter = threading.Thread(target=wait_for_the_change)
        waiter.start()
        waiting.wait()
        xvfb.paint(200, 100, 30, 20, (255, 0, 0))
        waiter.join()
        shot = received[0]
        assert shot is not None, "the change was made while the other thread waited"
        assert shot.pixel(210, 110) == (255, 0, 0)
        assert shot.changes == [mss.Region(200, 100, 30, 20)]
