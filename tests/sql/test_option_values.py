"""Every options text is read by one tokenizer (core/options.c's lmm_option_next): an option ends at a comma
outside parentheses, brackets and quotes, so every parser's values may hold commas inside parentheses. One case
per parser: lmm_fit, lmm_plot, lmm_confint, lmm_anova's F tests, lmm_bootstrap, lmm_variogram."""
from harness import fit


def snapshot(db):
    return db.execute("SELECT name, fit FROM lmm_models ORDER BY name").fetchall()


def run(t, db):
    fit(db, "sleepstudy", "Reaction ~ Days", "1|Subject", "save=ov_lme")
    db.commit()
    before = snapshot(db)
    # lmm_plot: a title with a comma inside parentheses, and R's c(lo, hi) limits
    svg = db.execute("SELECT lmm_plot('ov_lme', 'qq', 'title=Reaction (ms, raw), width=700')").fetchone()[0]
    t.ok("Reaction (ms, raw)" in svg and 'width="700"' in svg, "lmm_plot: title=Reaction (ms, raw) is one value")
    colon = db.execute("SELECT lmm_plot('ov_lme', 'qq', 'xlim=-3:3')").fetchone()[0]
    call = db.execute("SELECT lmm_plot('ov_lme', 'qq', 'xlim=c(-3, 3)')").fetchone()[0]
    t.ok(call == colon, "lmm_plot: xlim=c(-3, 3) is xlim=-3:3")
    apostrophe = db.execute("SELECT lmm_plot('ov_lme', 'qq', 'title=Children''s growth, width=700')").fetchone()[0]
    t.ok("Children&#39;s growth" in apostrophe or "Children's growth" in apostrophe or "Children&apos;s" in apostrophe,
         "lmm_plot: an apostrophe inside a word opens no quote")
    t.ok('width="700"' in apostrophe, "lmm_plot: the option after an apostrophe is read")
    # the other parsers name the whole value with its comma, not its first piece
    for q, params, fragments, what in [
        ("SELECT * FROM lmm_confint(?, 'wald', ?)", ("ov_lme", "level=c(0.9, 0.95)"),
         ["level must be a number between 0 and 1", "got 'c(0.9, 0.95)'"], "lmm_confint"),
        ("SELECT * FROM lmm_anova(?, ?)", ("ov_lme", "type=c(I, II)"), ["type must be sequential or marginal",
                                                                       "not 'c(I, II)'"], "lmm_anova's F tests"),
        ("SELECT * FROM lmm_bootstrap(?, ?)", ("ov_lme", "nsim=max(10, 20)"),
         ["nsim must be a whole number of simulations", "not 'max(10, 20)'"], "lmm_bootstrap"),
        ("SELECT * FROM lmm_variogram(?, ?)", ("ov_lme", "resType=c(pearson, normalized)"),
         ["resType must be", "not 'c(pearson, normalized)'"], "lmm_variogram"),
        ("SELECT * FROM lmm_confint(?, 'boot', ?)", ("ov_lme", "nsim=max(10, 20)"),
         ["nsim must be a whole number of simulations", "not 'max(10, 20)'"], "lmm_confint passing the bootstrap's"),
        ("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days', NULL, ?)", ("save='open, method=ML",),
         ["lmm_fit: options: the value of save opens a quote ' that is not closed"], "lmm_fit's unclosed quote"),
    ]:
        t.error(db, q, params, fragments, what + " with a comma inside parentheses")
    t.ok(snapshot(db) == before, "the database changed under options errors")
    db.execute("DELETE FROM lmm_models WHERE name = 'ov_lme'")
    db.commit()
