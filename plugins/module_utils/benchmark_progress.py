# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Progress of a benchmark while it runs: the hooks the load calls, and the time estimate.

run(options, progress=...) calls, for each load point: start(label, total, duration,
estimate_s) before its first counted request, advance(record) after each one, close() at
the end of the point. The estimate is what a request took in the warm-up (or, after the
first point, in the points before) times the requests each slot in flight sends. Progress
only keeps that figure; the CLI draws a bar (tqdm) through its subclass.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import json
import math
import os
import tempfile
import time


class Progress(object):
    """Hooks that only keep the mean seconds a request took (the module's default)."""

    def __init__(self):
        self.seconds_per_request = None
        self._latencies = 0.0
        self._count = 0

    def measured(self, record):
        """A request's latency joins the mean the next estimate uses (warm-up ones too)."""
        if record.success and record.latency:
            self._latencies += record.latency
            self._count += 1
            self.seconds_per_request = self._latencies / self._count

    def start(self, label, total, duration, estimate_s):
        pass

    def advance(self, record):
        self.measured(record)

    def close(self):
        pass


def estimate_seconds(load, total, duration, seconds_per_request):
    """Seconds a load point should take, from what one warm-up request took; None if unknown."""
    if duration:
        return float(duration)
    if not total:
        return None
    if load["mode"] == "rate" and load.get("request_rate"):
        return total / float(load["request_rate"])
    if not seconds_per_request:
        return None
    in_flight = load.get("concurrency") or load.get("max_concurrency") or total
    return math.ceil(total / float(in_flight)) * seconds_per_request


def duration_text(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return "%d s" % seconds
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return "%d min %02d s" % (minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    return "%d h %02d min" % (hours, minutes)


class FileProgress(Progress):
    """The progress as one JSON object in a file, rewritten at most once a second (and at each
    point's start and end), for a caller that polls it: playbooks/benchmark.yml prints it while
    the module runs asynchronously. Written to a temporary file beside it and renamed, so a
    reader never sees half of it and a link planted at the path is replaced, not followed."""

    def __init__(self, path, clock=None):
        super().__init__()
        self.path, self._clock = path, clock or time.monotonic
        self.status = {"point": 0, "label": None, "done": 0, "failed": 0, "total": None, "estimate_s": None}
        self._started = self._written = None
        with contextlib.suppress(OSError):  # the last run's: a reader must not take it for this one's
            os.remove(path)

    def start(self, label, total, duration, estimate_s):
        self._started = self._clock()
        self.status.update(
            point=self.status["point"] + 1, label=label, done=0, failed=0, total=total, duration_s=duration,
            estimate_s=estimate_s, finished=False,
        )  # fmt: skip
        self._write(force=True)

    def advance(self, record):
        super().advance(record)
        self.status["done"] += 1
        self.status["failed"] += 0 if record.success else 1
        self._write()

    def close(self):
        self.status["finished"] = True
        self._write(force=True)

    def _write(self, force=False):
        now = self._clock()
        if not force and self._written is not None and now - self._written < 1.0:
            return
        elapsed = now - self._started
        done, total = self.status["done"], self.status["total"]
        rate = done / elapsed if elapsed > 0 else None
        if total and rate:
            left = (total - done) / rate
        elif self.status.get("duration_s"):
            left = max(0.0, self.status["duration_s"] - elapsed)
        else:
            left = None
        self.status.update(
            elapsed_s=round(elapsed, 1), rate_per_s=rate and round(rate, 3), left_s=left and round(left, 1)
        )
        self.status["line"] = status_line(self.status)
        directory = os.path.dirname(os.path.abspath(self.path))
        handle, temporary = tempfile.mkstemp(prefix=".benchmark-progress-", dir=directory)
        with os.fdopen(handle, "w") as stream:
            json.dump(self.status, stream)
        os.replace(temporary, self.path)
        self._written = now


def status_line(status):
    """One line for people from a FileProgress status: 'concurrency 8: 40/100 requests, 2.1 req/s,
    about 28 s left' (or the plan, before the first request)."""
    label, done, total = status.get("label") or "starting", status.get("done", 0), status.get("total")
    if status.get("finished"):
        return "%s: done, %d requests in %s" % (label, done, duration_text(status.get("elapsed_s") or 0))
    text = "%s: %d%s requests" % (label, done, "/%d" % total if total else "")
    if status.get("failed"):
        text += " (%d failed)" % status["failed"]
    if status.get("rate_per_s"):
        text += ", %.2f req/s" % status["rate_per_s"]
    if status.get("left_s") is not None and done:
        text += ", about %s left" % duration_text(status["left_s"])
    elif status.get("estimate_s"):
        text += ", about %s planned" % duration_text(status["estimate_s"])
    return text
