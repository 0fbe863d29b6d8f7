-- Loaded last by the extension script: privileges on the functions pgrx generated.

-- Wiping the marketplace is for the owner of the data (the demo, tests), never for PUBLIC.
REVOKE EXECUTE ON FUNCTION spine.clear_demo_data() FROM PUBLIC;
