"""Reading one host's part of an ansible-playbook run's output (default callback)."""

import re

# molecule runs the tests with ANSIBLE_FORCE_COLOR set, so the lines carry colour codes.
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def failure_of(output, host):
    """The failure ansible printed for one host: its fatal/failed line and the indented result."""
    lines = ANSI_CODE.sub("", output).splitlines()
    for index, line in enumerate(lines):
        if line.startswith(("fatal: [%s]" % host, "failed: [%s]" % host)):
            block = [line]
            for following in lines[index + 1 :]:
                if following and not following[0].isspace():
                    break
                block.append(following)
            return "\n".join(block)
    return ""


def recap_of(output, host):
    """The host's PLAY RECAP counters (ok=... changed=... failed=...)."""
    found = re.search(r"^%s\s*:(.*)$" % re.escape(host), ANSI_CODE.sub("", output).split("PLAY RECAP")[-1], re.M)
    assert found, "no PLAY RECAP line for %s" % host
    return found.group(1)
