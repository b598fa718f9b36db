#!/usr/bin/env bash
# ansible-test sanity on plugins/, from a copy of the committed tree laid out as
# ansible_collections/privateai/deepseek (ansible-test requires that layout).
# No container images can be pulled here, so it runs with --venv (one virtualenv per
# test); the pip bootstrap it would download comes from get_pip_offline.py instead.
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
build="$repo/.build/sanity"
core_version=$("$repo/.venv/bin/python" -c 'import ansible; print(ansible.__version__)')

[ -x "$build/venv/bin/ansible-test" ] || {
  python3 -m venv "$build/venv"
  "$build/venv/bin/pip" install -q "ansible-core==$core_version"
}
pip_version=$("$build/venv/bin/python" - <<'PY'
import re, ansible_test._internal.python_requirements as r
print(re.search(r"pip='([0-9.]+)'", open(r.__file__).read()).group(1))
PY
)
mkdir -p ~/.ansible/test/cache
cp "$repo/tests/sanity/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"

tree="$build/ansible_collections/privateai/deepseek"
rm -rf "$tree" && mkdir -p "$tree"
git -C "$repo" ls-files -z --cached --others --exclude-standard | (cd "$repo" && xargs -0 cp --parents -t "$tree" 2>/dev/null || true)
cd "$tree"
git init -q && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
"$build/venv/bin/ansible-test" sanity --venv --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --skip-test shebang "$@" plugins/
