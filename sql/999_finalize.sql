-- Loaded last by the extension script: privileges on the functions pgrx generated.

-- Filling and wiping the marketplace run as the extension owner (they restructure constraints for
-- a bulk load): for administrators, never for PUBLIC.
REVOKE EXECUTE ON FUNCTION spine.clear_demo_data() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION spine.generate_demo_data(integer, integer, integer) FROM PUBLIC;

-- Governance: registering, certifying and revoking are for spine_admin (DESIGN §4). Guards stay
-- callable by everyone: they only check, and they are SECURITY DEFINER with a pinned search_path.
REVOKE EXECUTE ON FUNCTION audit.register_store(regclass, text, text, text[], jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit.revoke(regclass, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.register_store(regclass, text, text, text[], jsonb) TO spine_admin;
GRANT EXECUTE ON FUNCTION audit.revoke(regclass, text) TO spine_admin;

-- Models: training and deployment for spine_trainer and spine_admin; scoring for everyone.
REVOKE EXECUTE ON FUNCTION ml._train(text, regclass, text, text, text[], jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ml.train(text, regclass, text, text, text[], jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ml.deploy(text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ml.rollback(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ml._train(text, regclass, text, text, text[], jsonb), ml.train(text, regclass, text, text, text[], jsonb),
    ml.deploy(text, integer), ml.rollback(text) TO spine_trainer, spine_admin;

-- Workers (docs/workers.md): the jobs run as the bootstrap superuser, so starting, stopping and
-- running them in a session is for superusers. Enqueueing needs INSERT on spine.jobs (superusers;
-- grant it to let a role enqueue).
REVOKE EXECUTE ON FUNCTION spine.run_jobs(integer), spine.launch_workers(integer), spine.stop_workers() FROM PUBLIC;
