"""The plans, one folder each: everything one plan needs (its rules, problem, objective,
adapter to the assignment core, tables with reasons) sits in ``plans/<plan>/``."""
