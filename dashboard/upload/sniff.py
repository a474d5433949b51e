"""What a file is (magic bytes, text or binary) and how its text is encoded."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from dashboard.upload.core import _Refuse

# ---------------------------------------------------------------- sniffing and decoding

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!", "archive"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"MZ", "binary"),
    (b"\x7fELF", "binary"),
)


def utf16_codec(data: bytes) -> str | None:
    """'utf-16' (with a BOM), 'utf-16-le'/'utf-16-be' (without one, recognised by the zero bytes of
    ASCII characters on every other byte), or None when the data is not UTF-16 text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:65536 - 65536 % 2]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    for zeros, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= max(2, 0.15 * pairs) and other <= 0.02 * pairs:
            try:
                head.decode(codec)
            except UnicodeDecodeError:
                continue
            return codec
    return None


def _sniff(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    codec = utf16_codec(data)
    if codec:
        head = data[: 4096 - 4096 % 2].decode(codec, errors="replace").lstrip("\ufeff").lstrip()
        return "json" if head[:1] in ("{", "[") else "markup" if head[:1] == "<" else "text"
    head = data[:65536]
    if b"\x00" in head:
        return "binary"
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if controls > max(2, len(head) // 200):
        return "binary"
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return "markup"
    return "text"


def check_nul(data: bytes) -> None:
    """Refuse text with a NUL byte anywhere (the glance at the first 64 KB only catches binary files)."""
    pos = data.find(b"\x00")
    if pos >= 0:
        raise _Refuse("nul_byte", position=f"{pos:,}", line=data.count(b"\n", 0, pos) + 1)


@dataclass(frozen=True)
class Encoding:
    """How a file's bytes are turned into text: `codec` for bytes.decode, `errors` ('strict', or
    'surrogateescape' when a UTF-8 file holds a few stray bytes, each reported by row and column),
    and the label shown to the user."""

    codec: str
    label: str
    errors: str = "strict"


_STRAY_RE = re.compile("[\udc80-\udcff]")


def stray_bytes(text: str) -> list[int]:
    """The undecodable bytes kept (as surrogates) in `text` decoded with 'surrogateescape'."""
    return [ord(c) - 0xDC00 for c in _STRAY_RE.findall(text)]


def show_stray(text: str) -> str:
    """`text` with each stray byte written as <0x92>, so it can be shown (and never reaches a page raw)."""
    return _STRAY_RE.sub(lambda m: f"<0x{ord(m.group()) - 0xDC00:02X}>", text)


def _double_byte_share(text: str, codec: str, lead: tuple[int, int], trail: tuple[int, int]) -> float:
    """Share of the non-ASCII characters of `text` that encode in `codec` to two bytes in the given
    lead and trail ranges (the ranges of the codec's common characters)."""
    chars = [c for c in text if ord(c) > 0x7F]
    if not chars:
        return 0.0
    hits = 0
    for c in chars:
        b = c.encode(codec, errors="ignore")
        if len(b) == 2 and lead[0] <= b[0] <= lead[1] and trail[0] <= b[1] <= trail[1]:
            hits += 1
    return hits / len(chars)


def _chinese_codec(sample: bytes) -> Encoding | None:
    """GBK/GB18030 or Big5, whichever reads `sample` as common characters (≥ 80 %), or None.

    Simplified-Chinese text in GBK is almost all GB2312 characters (both bytes A1-FE); Big5 text
    read as GBK gives rare characters (Big5's trail bytes 40-7E), and GBK text read as Big5 falls
    outside Big5's common-character block (A440-C67E) for about half its characters.
    """
    scores = {}
    for codec, lead, trail in (("gb18030", (0xA1, 0xFE), (0xA1, 0xFE)), ("big5", (0xA4, 0xC6), (0x40, 0xFE))):
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:  # a character cut at the end of the sample is fine
                continue
            text = sample[: exc.start].decode(codec, errors="ignore")
        scores[codec] = _double_byte_share(text, codec, lead, trail)
    best = max(scores, key=scores.get, default=None)
    if best is None or scores[best] < 0.8:
        return None
    return Encoding("gb18030", "GBK/GB18030") if best == "gb18030" else Encoding("big5", "Big5")


def _first_bad_utf8(data: bytes, chunk: int = 1 << 20) -> int | None:
    """Offset of the first byte that is not UTF-8, or None; decoded a megabyte at a time (a 20 MB file
    never becomes one 20 MB string here)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), chunk):
        try:
            decoder.decode(data[start: start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as exc:
            return max(0, start + exc.start - len(decoder.getstate()[0]))
    if not data:
        return None
    return None


def detect(data: bytes) -> Encoding:
    """The encoding of a text file: UTF-8 (BOM or not), UTF-16 (BOM or not), GBK/GB18030 or Big5.

    A UTF-8 file with a few stray bytes (a Windows-1252 ’ or é typed into one cell) stays UTF-8: the
    stray bytes are kept as surrogates and reported by row and column, instead of the whole file
    being read as GB18030 mojibake. Anything else undecodable is refused, naming the byte.
    """
    codec = utf16_codec(data)
    if codec:
        return Encoding(codec, "UTF-16" if codec == "utf-16" else f"UTF-16 ({codec[-2:].upper()}, no BOM)")
    bom = data.startswith(codecs.BOM_UTF8)
    label = "UTF-8 (BOM)" if bom else "UTF-8"
    first_bad = _first_bad_utf8(data)
    if first_bad is None:
        return Encoding("utf-8-sig" if bom else "utf-8", label)
    # judged on the megabyte around the first bad byte (whole lines): a 20 MB GBK file is not walked
    # character by character; more stray bytes further on are reported by cell all the same
    start = data.rfind(b"\n", 0, max(0, first_bad - (1 << 19))) + 1
    end = data.find(b"\n", first_bad + (1 << 19))
    loose = data[start: len(data) if end < 0 else end].decode("utf-8", errors="surrogateescape")
    bad = len(_STRAY_RE.findall(loose))
    # a character typed in a one-byte code page is one stray byte; runs of them are another encoding
    isolated = re.search("[\udc80-\udcff]{2,}", loose) is None
    # characters a GBK/Big5 byte pair can form by accident are 2-byte UTF-8 (U+0180-U+07FF): not counted
    valid = sum(1 for c in loose if 0xA0 <= ord(c) < 0x180 or 0x800 <= ord(c) < 0xD800 or ord(c) > 0xDFFF)
    del loose
    if isolated and (bom or (valid > 0 and bad <= max(8, valid // 20))):
        return Encoding("utf-8-sig" if bom else "utf-8", label, "surrogateescape")
    chinese = _chinese_codec(data[:262144])
    if chinese is not None:
        try:
            data.decode(chinese.codec)
            return chinese
        except UnicodeDecodeError:
            pass
    if isolated and bad <= 8:
        return Encoding("utf-8", label, "surrogateescape")
    raise _Refuse("encoding", position=first_bad)


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding label) of a whole file (GeoJSON): stray bytes are refused here, naming the line."""
    enc = detect(data)
    text = data.decode(enc.codec, errors=enc.errors).lstrip("\ufeff")
    if enc.errors != "strict":
        pos = _STRAY_RE.search(text).start()
        raise _Refuse("stray_byte_text", byte=f"0x{ord(text[pos]) - 0xDC00:02X}", line=text.count("\n", 0, pos) + 1)
    return text, enc.label
