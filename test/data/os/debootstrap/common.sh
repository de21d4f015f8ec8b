# Shared code of the scripts, in the shape of Debian's
# ganeti-instance-debootstrap: argument handling through the OS API
# variables, a CLEANUP stack, and variant configuration files.  The real
# package runs debootstrap into a partition of DISK_0_PATH; this stand-in
# writes a small text "root filesystem" to the start of the disk instead.

log_error() {
  echo "$@" >&2
}

get_api10_arguments() {
  if [ -z "$INSTANCE_NAME" -o -z "$HYPERVISOR" -o -z "$DISK_COUNT" ]; then
    log_error "Missing OS API Variable:"
    log_error "(INSTANCE_NAME HYPERVISOR or DISK_COUNT)"
    exit 1
  fi
  instance=$INSTANCE_NAME
  if [ $DISK_COUNT -lt 1 -o -z "$DISK_0_PATH" ]; then
    log_error "At least one disk is needed"
    exit 1
  fi
  if [ "$SCRIPT_NAME" = "export" ]; then
    if [ -z "$EXPORT_DEVICE" ]; then
      log_error "Missing OS API Variable EXPORT_DEVICE"
      exit 1
    fi
    blockdev=$EXPORT_DEVICE
  elif [ "$SCRIPT_NAME" = "import" ]; then
    if [ -z "$IMPORT_DEVICE" ]; then
      log_error "Missing OS API Variable IMPORT_DEVICE"
      exit 1
    fi
    blockdev=$IMPORT_DEVICE
  else
    blockdev=$DISK_0_PATH
  fi
  if [ "$SCRIPT_NAME" = "rename" -a -z "$OLD_INSTANCE_NAME" ]; then
    log_error "Missing OS API Variable OLD_INSTANCE_NAME"
    exit 1
  fi
  old_name=$OLD_INSTANCE_NAME
  if [ -n "$DISK_1_PATH" ]; then
    swapdev=$DISK_1_PATH
  fi
}

cleanup() {
  if [ ${#CLEANUP[*]} -gt 0 ]; then
    LAST_ELEMENT=$((${#CLEANUP[*]}-1))
    for i in $(seq ${LAST_ELEMENT} -1 0); do
      ${CLEANUP[$i]}
    done
  fi
}

DEFAULT_FILE="defaults"
if [ -f "$DEFAULT_FILE" ]; then
  . "$DEFAULT_FILE"
fi

: ${SUITE:="lenny"}
: ${EXTRA_PKGS:=""}
: ${VARIANTS_DIR:="/etc/ganeti/instance-debootstrap/variants"}

SCRIPT_NAME=$(basename $0)

if [ "$OS_API_VERSION" = "10" -o "$OS_API_VERSION" = "15" -o \
     "$OS_API_VERSION" = "20" ]; then
  get_api10_arguments
else
  log_error "Unknown OS API VERSION $OS_API_VERSION"
  exit 1
fi

if [ -n "$OS_VARIANT" ]; then
  if [ ! -d "$VARIANTS_DIR" ]; then
    log_error "OS Variants directory $VARIANTS_DIR doesn't exist"
    exit 1
  fi
  VARIANT_CONFIG="$VARIANTS_DIR/$OS_VARIANT.conf"
  if [ -f "$VARIANT_CONFIG" ]; then
    . "$VARIANT_CONFIG"
  else
    if grep -qxF "$OS_VARIANT" variants.list; then
      log_error "Published variant $OS_VARIANT is missing its config file"
    else
      log_error "Unofficial variant $OS_VARIANT is unsupported"
    fi
    exit 1
  fi
fi
