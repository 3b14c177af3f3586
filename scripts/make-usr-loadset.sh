#!/bin/sh
# Builds a radmind server tree holding one big loadset, for lcksum benchmarks:
#
#   scripts/make-usr-loadset.sh DEST [SRC]      (SRC defaults to /usr)
#
#   DEST/transcript/usr.T     a checksummed (sha1) capture of SRC, absolute paths /usr/...,
#                             fsdiff's layout, radmind order (lstat, no symlinks followed)
#   DEST/file/usr.T/usr/...   cp -a of SRC (the stored files)
#
# Every regular file gets an f line (hard links are not folded into h lines, so lcksum and
# "find | xargs sha1sum" hash the same set). Until Loadsmith's fsdiff exists the capture is
# made by the small Python walker below, which walks the copy so the checksums match it.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DEST [SRC]" >&2; exit 2; }
DEST=$1
SRC=${2:-/usr}
mkdir -p "$DEST/transcript" "$DEST/file/usr.T"
[ -e "$DEST/file/usr.T/usr" ] && { echo "$DEST/file/usr.T/usr exists; remove it first" >&2; exit 2; }
cp -a "$SRC" "$DEST/file/usr.T/usr"
python3 - "$DEST/file/usr.T/usr" /usr > "$DEST/transcript/usr.T.tmp" <<'PY'
import hashlib, base64, os, stat, sys

root, shown = sys.argv[1].encode(), sys.argv[2].encode()
out = sys.stdout.buffer

def enc(p):
    return (p.replace(b'\\', b'\\\\').replace(b' ', b'\\b').replace(b'\t', b'\\t')
             .replace(b'\n', b'\\n').replace(b'\r', b'\\r'))

def head(t, p):
    e = enc(p)
    return t + b' ' + e + b' ' * max(0, 37 - len(e)) + b'\t'

def ids(st):
    return b'%04o %5d %5d' % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)

def sha1(path):
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return base64.b64encode(h.digest())

def emit(real, name):
    st = os.lstat(real)
    m = st.st_mode
    if stat.S_ISDIR(m):
        out.write(head(b'd', name) + ids(st) + b'\n')
        # Pre-order over names sorted bytewise is radmind's path order ("/" below every byte).
        for child in sorted(os.listdir(real)):
            emit(real + b'/' + child, name + b'/' + child)
    elif stat.S_ISREG(m):
        out.write(head(b'f', name) + ids(st) + b' %9d %7d ' % (int(st.st_mtime), st.st_size) + sha1(real) + b'\n')
    elif stat.S_ISLNK(m):
        out.write(head(b'l', name) + ids(st) + b' ' + enc(os.readlink(real)) + b'\n')
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        t = b'c' if stat.S_ISCHR(m) else b'b'
        out.write(head(t, name) + ids(st) + b' %5d %5d\n' % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    elif stat.S_ISFIFO(m):
        out.write(head(b'p', name) + ids(st) + b'\n')
    elif stat.S_ISSOCK(m):
        out.write(head(b's', name) + ids(st) + b'\n')

emit(root, shown)
PY
mv "$DEST/transcript/usr.T.tmp" "$DEST/transcript/usr.T"
echo "$DEST/transcript/usr.T: $(grep -c '^f ' "$DEST/transcript/usr.T") files"
