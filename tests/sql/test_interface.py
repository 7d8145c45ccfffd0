def run(t, db):
    pass
