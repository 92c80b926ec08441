"""The simulated example (模拟数据，非真实企业): its data-generating process and generator.

See ``resources/example/README.md`` for the process in words and ``truth/truth.json`` for it in
numbers. Submodules: ``dgp`` (firms, outcomes, answers), ``phrases`` (open-answer phrase bank),
``policy_bank`` and ``documents`` (policy texts), ``raw_formats`` (xlsx/csv/sav writers),
``gold`` (hand-coded gold sample), ``generate`` (the command line).
"""

from chainpb.simulate.generate import DEFAULT_SEED, generate_example, main

__all__ = ["DEFAULT_SEED", "generate_example", "main"]
