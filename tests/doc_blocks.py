"""The shell commands the docs tell a user to type, and what the tests do with each.

Every ```bash block in README.md, docs/ and the role READMEs is marked on the line before it:

    <!-- doctest: run -->             run by tests/integration/test_doc_commands.py, here, with
                                      no fleet (the cost advisor, the CLIs' offline forms)
    <!-- doctest: fleet -->           run by molecule/site/tests/test_documented_commands.py
                                      against the site scenario's converged fleet
    <!-- doctest: skip: <reason> -->  run by neither, and why: the test that runs the same
                                      command, or what it needs that these machines lack

An unmarked block fails the integration test, so a new block cannot land without a decision;
the skipped ones and their reasons are printed in the test output.

Placeholders in angle brackets are what a user replaces; the harness replaces them with its
own targets (PLACEHOLDERS). A block runs under `bash -eo pipefail`.
"""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^<!-- doctest: (?P<kind>run|fleet|skip: (?P<reason>.+?)) -->$")
# What a user types in place of each placeholder; the harness gives its own value for each.
PLACEHOLDERS = ("<collection>", "<gateway URL>", "<gateway CA>", "<client key>")


def pages():
    return [
        REPO_ROOT / "README.md",
        *sorted((REPO_ROOT / "docs").glob("*.md")),
        *sorted(REPO_ROOT.glob("roles/*/README.md")),
    ]


class Block:
    def __init__(self, page, line, mark, text):
        self.page, self.line, self.text = page, line, text
        self.kind = None if mark is None else ("skip" if mark.group("reason") else mark.group("kind"))
        self.reason = mark.group("reason") if mark else None

    @property
    def where(self):
        return "%s:%d" % (self.page, self.line)

    def script(self, values):
        """The block with each placeholder replaced; one the harness has no value for is an error."""
        text = self.text
        for placeholder in PLACEHOLDERS:
            if placeholder in text:
                assert placeholder in values, "%s uses %s, which this harness cannot fill" % (self.where, placeholder)
                text = text.replace(placeholder, values[placeholder])
        leftover = re.findall(r"<[a-z][a-z ]*>", text)
        assert not leftover, "%s: unknown placeholder %s (doc_blocks.PLACEHOLDERS)" % (self.where, leftover)
        return text


def command_blocks():
    found = []
    for page in pages():
        lines = page.read_text().splitlines()
        for number, line in enumerate(lines):
            if line.strip() != "```bash":
                continue
            end = next(i for i in range(number + 1, len(lines)) if lines[i].startswith("```"))
            before = next((lines[i].strip() for i in range(number - 1, -1, -1) if lines[i].strip()), "")
            text = "\n".join(lines[number + 1 : end])
            found.append(Block(page.relative_to(REPO_ROOT), number + 1, MARK.match(before), text))
    return found


def blocks_of(kind):
    return [block for block in command_blocks() if block.kind == kind]
