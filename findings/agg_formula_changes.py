"""lmm_agg made its model from the group's first row and ignored the formula, random and options of every later
row: a formula that changed within a group fitted the first row's model without a word."""
import sys; sys.path.insert(0, 'findings')
from h import *
db = conn(data=True)
show('formula changes', q(db, "SELECT json_extract(lmm_agg(CASE WHEN rowid = 1 THEN 'Reaction ~ Days' ELSE 'Reaction ~ 1' END, "
                           "NULL, NULL, 'Reaction', Reaction, 'Days', Days), '$.fixed') FROM sleepstudy"))
show('options change', q(db, "SELECT json_extract(lmm_agg('Reaction ~ Days', NULL, CASE WHEN rowid = 1 THEN NULL ELSE 'method=ML' END, "
                          "'Reaction', Reaction, 'Days', Days), '$.style') FROM sleepstudy"))
