-- Loaded last by the extension script: privileges on the functions pgrx generated.

-- Filling and wiping the marketplace run as the extension owner (they restructure constraints for
-- a bulk load): for administrators, never for PUBLIC.
REVOKE EXECUTE ON FUNCTION spine.clear_demo_data() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION spine.generate_demo_data(integer, integer, integer) FROM PUBLIC;
