"""Print ``docs/errors.md`` (the catalogue) to standard output."""

import sys

from . import render_markdown

sys.stdout.write(render_markdown())
