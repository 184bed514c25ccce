"""Organisation codes ("mã định danh"), in the two forms in use (STANDARDS.md):

- QCVN 102:2016 (edXML ``OrganId``): 13 characters, ``000.00.00.H41`` — the level-1 code
  (a letter and two digits, here H41 = UBND tỉnh Nghệ An) on the right;
- Quyết định 20/2020/QĐ-TTg: up to 35 characters, the level-1 code on the left, then the
  lower levels separated by dots, e.g. ``H41.18``.

When an organisation has both, they must name the same level-1 body.
"""

from __future__ import annotations

import re

CODE_102 = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
CODE_QD20 = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z]{1,10})*$")
MAX_QD20 = 35


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def is_code_102(code: str) -> bool:
    return bool(CODE_102.match(normalise(code)))


def is_code_qd20(code: str) -> bool:
    code = normalise(code)
    return len(code) <= MAX_QD20 and bool(CODE_QD20.match(code))


def level1(code: str) -> str | None:
    """The level-1 body of either form (``H41``), or None when the code has neither form."""
    code = normalise(code)
    if is_code_102(code):
        return code[-3:]
    if is_code_qd20(code):
        return code[:3]
    return None


def check_pair(code_102: str, code_qd20: str | None) -> list[str]:
    """Problems with a directory entry's codes (empty when both are fine)."""
    problems = []
    if not is_code_102(code_102):
        problems.append("code: the QCVN 102 form is 13 characters, e.g. 000.00.00.H41")
    if code_qd20:
        if not is_code_qd20(code_qd20):
            problems.append(
                "code_qd20: the QĐ 20/2020 form starts with the level-1 code, e.g. H41.18 "
                f"(at most {MAX_QD20} characters)"
            )
        elif is_code_102(code_102) and level1(code_102) != level1(code_qd20):
            problems.append(
                f"code_qd20: level-1 code {level1(code_qd20)} differs from {level1(code_102)} "
                "of the QCVN 102 code"
            )
    return problems
