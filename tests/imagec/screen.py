#!/usr/bin/env python3
"""What a terminal shows after a program wrote FILE to it, for the imagec tests only.

    screen.py ROWS FILE

Replays FILE on a terminal of ROWS rows that knows CR, LF, ESC[nA (up), ESC[K (clear to the
end of the line) and ESC[J (clear to the end of the screen), and ignores other escapes.
Prints the lines that scrolled off the top (the scrollback), a line "--", then the screen.
"""
import re
import sys

rows = int(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    text = f.read().decode("utf-8", "replace")
screen = [""] * rows
scrollback = []
row = column = 0
escape = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")
i = 0
while i < len(text):
    match = escape.match(text, i)
    if match:
        count = int(match.group(1) or 1) if match.group(1).isdigit() else 1
        op = match.group(2)
        if op == "A":
            row = max(0, row - count)
        elif op == "K":
            screen[row] = screen[row][:column]
        elif op == "J":
            screen[row] = screen[row][:column]
            screen[row + 1:] = [""] * (rows - row - 1)
        i = match.end()
        continue
    char = text[i]
    if char == "\r":
        column = 0
    elif char == "\n":
        column = 0
        row += 1
        if row == rows:
            scrollback.append(screen.pop(0))
            screen.append("")
            row = rows - 1
    else:
        line = screen[row].ljust(column)
        screen[row] = line[:column] + char + line[column + 1:]
        column += 1
    i += 1
for line in scrollback:
    print(line)
print("--")
for line in screen:
    print(line)
