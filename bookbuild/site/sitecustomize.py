"""Run by every Python process started from a traced chapter (:mod:`bookbuild.trace` puts this folder on the
processes' ``PYTHONPATH``): it logs its data like the chapter's kernel, whatever it imports."""

from bookbuild.trace import install_from_environment

install_from_environment()
