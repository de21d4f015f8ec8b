# Shared pieces of the dummy OS scripts (sourced from the OS directory).
#
# The "installation" is a one-line header at the start of each disk,
# written in place with dd conv=notrunc so the disk keeps its size:
#   GANETI-DUMMY-OS name=<instance> variant=<variant> disk=<index> ...

log() {
  echo "dummy-os[$SCRIPT_NAME]: $*"
}

die() {
  echo "dummy-os[$SCRIPT_NAME]: error: $*" >&2
  exit 1
}

SCRIPT_NAME=$(basename "$0")

[ -n "$OS_API_VERSION" ] || die "OS_API_VERSION is not set"
case "$OS_API_VERSION" in
  10|15|20) ;;
  *) die "unsupported OS API version $OS_API_VERSION" ;;
esac

# write_header DEVICE INDEX: replaces the first block of DEVICE
write_header() {
  header="GANETI-DUMMY-OS name=$INSTANCE_NAME variant=${OS_VARIANT:-none}"
  header="$header disk=$2 api=$OS_API_VERSION label=${OSP_LABEL:-}"
  header="$header reinstall=${INSTANCE_REINSTALL:-0}"
  # one full 512-byte block, so a shorter header leaves nothing behind
  { printf '%s\n' "$header"; head -c 512 /dev/zero; } | head -c 512 | \
    dd of="$1" bs=512 count=1 conv=notrunc status=none || \
    die "cannot write the header of $1"
}
