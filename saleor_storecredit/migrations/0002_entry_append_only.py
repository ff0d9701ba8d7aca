"""Make the history append-only in the database itself, not just in Python."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION storecredit_refuse_entry_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'store-credit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER storecredit_entry_append_only
    BEFORE UPDATE OR DELETE ON storecredit_storecreditentry
    FOR EACH ROW EXECUTE FUNCTION storecredit_refuse_entry_change();
"""

DROP = """
DROP TRIGGER IF EXISTS storecredit_entry_append_only ON storecredit_storecreditentry;
DROP FUNCTION IF EXISTS storecredit_refuse_entry_change();
"""


class Migration(migrations.Migration):
    dependencies = [("storecredit", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
