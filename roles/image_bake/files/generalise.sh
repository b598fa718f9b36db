#!/bin/sh
# privateai.deepseek image_bake: remove everything that belongs to the bake host, not the image.
# Prints one line per thing it removed or emptied (nothing: the image was already clean).
# Usage: generalise.sh KEEP_AUTHORIZED_KEYS(true|false) [EXTRA_PATH ...]
set -eu

keep_authorized_keys="$1"
shift

say() { printf '%s\n' "$*"; }

# Empty a regular file that has content.
empty() {
  for f in "$@"; do
    if [ -f "$f" ] && [ ! -L "$f" ] && [ -s "$f" ]; then
      : > "$f"
      say "emptied $f"
    fi
  done
}

# Remove files or directories that exist.
remove() {
  for f in "$@"; do
    if [ -e "$f" ] || [ -L "$f" ]; then
      rm -rf -- "$f"
      say "removed $f"
    fi
  done
}

# Remove the contents of a directory, keeping the directory (and the names, or shell
# patterns, given after it).
purge() {
  dir="$1"
  shift
  [ -d "$dir" ] || return 0
  for entry in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    skip=false
    name=$(basename "$entry")
    for keep in "$@"; do
      # shellcheck disable=SC2254
      case "$name" in $keep) skip=true ;; esac
    done
    $skip || remove "$entry"
  done
}

# Identity of this machine: systemd makes a new machine-id at the first boot of each
# instance (an empty file, not a missing one, marks the first boot); sshd's host keys
# are made again before sshd starts (privateai-ssh-hostkeys.service).
empty /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then
  remove /var/lib/dbus/machine-id
fi
for key in /etc/ssh/ssh_host_*; do
  remove "$key"
done
remove /var/lib/systemd/random-seed /var/lib/systemd/credential.secret

# Logs: journals removed, other logs emptied (their owners and modes stay), rotated ones removed.
if [ -d /var/log/journal ]; then
  purge /var/log/journal
fi
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' -o -name '*.xz' \) -print 2>/dev/null |
  while read -r f; do remove "$f"; done
find /var/log -type f -size +0 -print 2>/dev/null | while read -r f; do empty "$f"; done

# Package manager index and caches (a launched instance refreshes them from its own mirror).
purge /var/lib/apt/lists lock partial
purge /var/lib/apt/lists/partial
find /var/cache/apt -type f \( -name '*.deb' -o -name '*.bin' \) -print 2>/dev/null | while read -r f; do remove "$f"; done
find /var/cache/debconf -type f -name '*-old' -print 2>/dev/null | while read -r f; do remove "$f"; done

# Caches and temporary files of users and the runtime.
for home in /root /home/*; do
  [ -d "$home" ] || continue
  remove "$home/.cache" "$home/.bash_history" "$home/.python_history" "$home/.lesshst" \
    "$home/.viminfo" "$home/.wget-hsts" "$home/.sudo_as_admin_successful" "$home/.local/share/nano"
  # Ansible's working directory: its tmp dir stays (this run lives in it), the rest goes.
  purge "$home/.ansible" tmp
  if [ "$keep_authorized_keys" != "true" ]; then
    remove "$home/.ssh/authorized_keys" "$home/.ssh/known_hosts"
  fi
done
# The module running this script unpacked itself under ansible_* there; Ansible removes it.
purge /tmp 'ansible_*'
purge /var/tmp 'ansible_*'
if [ -d /var/cache/deepseek ]; then
  purge /var/cache/deepseek
fi

# cloud-init state of the bake host (the instance gets its own).
if [ -d /var/lib/cloud ]; then
  purge /var/lib/cloud seed scripts
fi

# Leases and the first-boot outcome of the bake host, if any.
find /var/lib/dhcp /var/lib/systemd/network -type f -name '*.lease*' -print 2>/dev/null | while read -r f; do remove "$f"; done

for extra in "$@"; do
  remove "$extra"
done
