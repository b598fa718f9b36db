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

import math


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
