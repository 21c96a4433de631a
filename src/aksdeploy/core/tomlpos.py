"""Line numbers of the keys in a TOML document.

``tomllib`` parses values but forgets where they were written; a config error must name the line. This scanner
walks a document that ``tomllib`` has already accepted and records the line of every key path, including keys in
dotted keys, inline tables and arrays of tables. It converts no values.
"""

from __future__ import annotations

from collections.abc import Mapping

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.table_counts: dict[Path, int] = {}

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def string(self) -> str:
        for quote in ('"""', "'''"):
            if self.peek(3) == quote:
                self.advance(3)
                start = self.pos
                while self.peek(3) != quote or (quote == '"""' and self._escaped()):
                    self.advance()
                # A closing delimiter may carry up to two extra quotes that belong to the content.
                while self.peek(4) == quote + quote[0]:
                    self.advance()
                value = self.text[start : self.pos]
                self.advance(3)
                return value
        quote = self.peek()
        self.advance()
        start = self.pos
        while self.peek() != quote or (quote == '"' and self._escaped()):
            self.advance()
        value = self.text[start : self.pos]
        self.advance()
        return value

    def _escaped(self) -> bool:
        backslashes = 0
        i = self.pos - 1
        while i >= 0 and self.text[i] == "\\":
            backslashes += 1
            i -= 1
        return backslashes % 2 == 1

    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_space(newlines=False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] in _BARE:
                    self.advance()
                parts.append(self.text[start : self.pos])
            self.skip_space(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def record(self, path: Path, line: int) -> None:
        for i in range(1, len(path) + 1):
            self.lines.setdefault(path[:i], line)

    def value(self, path: Path) -> None:
        self.skip_space(newlines=False)
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "[":
            self.advance()
            index = 0
            while True:
                self.skip_space(newlines=True)
                if self.peek() == "]":
                    self.advance()
                    return
                self.record((*path, index), self.line)
                self.value((*path, index))
                index += 1
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        elif ch == "{":
            self.advance()
            while True:
                self.skip_space(newlines=True)
                if self.peek() == "}":
                    self.advance()
                    return
                self.key_value(path)
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.advance()

    def key_value(self, table: Path) -> None:
        line = self.line
        path = (*table, *self.key())
        self.record(path, line)
        self.skip_space(newlines=False)
        self.advance()  # "="
        self.value(path)

    def document(self) -> dict[Path, int]:
        table: Path = ()
        while True:
            self.skip_space(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            if self.peek() == "[":
                array = self.peek(2) == "[["
                line = self.line
                self.advance(2 if array else 1)
                name: Path = tuple(self.key())
                self.advance(2 if array else 1)
                if array:
                    index = self.table_counts.get(name, 0)
                    self.table_counts[name] = index + 1
                    name = (*name, index)
                self.record(name, line)
                table = name
            else:
                self.key_value(table)


def key_lines(text: str) -> dict[Path, int]:
    """Map every key path of a valid TOML document to the line (1-based) where it is written."""
    return _Scanner(text).document()


def line_of(lines: Mapping[Path, int], path: Path) -> int | None:
    """The line of PATH, or of its nearest written ancestor."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None
