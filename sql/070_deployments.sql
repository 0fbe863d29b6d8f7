-- The seed's controllers as named deployments (DESIGN §6): the slow21 gate classifier, the
-- survival model, and the fast24 flagger stacked on both. Each trains through ml.train (strict
-- guard on the store first) and scores a listing from its store behind the fast guard.

CREATE FUNCTION ml.train_slow21_gate(params jsonb DEFAULT '{}') RETURNS ml.models
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN ml.train('slow21_gate', 'ml.fusion_feature_store_t0_v1_v'::regclass, 'label_slow21', 'logistic_regression', NULL,
                    '{"impute": "mean", "class_weight": "balanced", "c": 1.0, "target_precision": 0.7}'::jsonb || coalesce(params, '{}'));
END $$;
COMMENT ON FUNCTION ml.train_slow21_gate(jsonb) IS
    'spine: trains and deploys slow21_gate (modeling/slow21/train_slow21_gate_classifier.py): will a listing remain unsold 21 days after t0; logistic regression on the fusion store, gate threshold chosen for a target precision (default 0.7; when unreachable, the most precise threshold flagging at least 5 % of the slow listings, reported in metrics) and stored with the model';

CREATE FUNCTION ml.train_survival_time(params jsonb DEFAULT '{}') RETURNS ml.models
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN ml.train('survival_time', 'ml.survival_feature_store_t0_v1_v'::regclass, 'label_duration_days', 'coxph',
                    ARRAY['price_eur_t0', 'vehicle_age_years', 'mileage_km', 'power_kw'],
                    '{"event": "label_event", "impute": "mean"}'::jsonb || coalesce(params, '{}'));
END $$;
COMMENT ON FUNCTION ml.train_survival_time(jsonb) IS
    'spine: trains and deploys survival_time: Cox PH of days to sale over the survival store; ml.predicted_days_to_sale gives its median';

CREATE FUNCTION ml.train_fast24_flagger(params jsonb DEFAULT '{}') RETURNS ml.models
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN ml.train('fast24_flagger', 'ml.fusion_feature_store_t0_v1_v'::regclass, 'label_fast24', 'stack', ARRAY['price_vs_segment_median'],
                    '{"inputs": ["slow21_gate", "survival_time"], "impute": "mean"}'::jsonb || coalesce(params, '{}'));
END $$;
COMMENT ON FUNCTION ml.train_fast24_flagger(jsonb) IS
    'spine: trains and deploys fast24_flagger (modeling/meta/fast24_flagger3.py): sells within 24 h of t0; a logistic model stacked on the slow21 score (logit), the survival hazard (log relative hazard) and the price residual against the segment median';

CREATE FUNCTION ml.slow21_gate(listing_id bigint)
RETURNS TABLE(score float8, gate boolean, threshold float8, model_version integer)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m ml.models;
BEGIN
    PERFORM audit.require_certified('ml.fusion_feature_store_t0_v1_v'::regclass);
    SELECT x.* INTO m FROM ml.models x JOIN ml.deployments d USING (model_id) WHERE d.name = 'slow21_gate';
    score := ml.score_listing('slow21_gate', listing_id);
    threshold := coalesce((m.params->>'threshold')::float8, 0.5);
    gate := score >= threshold;
    model_version := m.version;
    RETURN NEXT;
END $$;
COMMENT ON FUNCTION ml.slow21_gate(bigint) IS
    'spine: the slow21 gate for one listing from the fusion store: P(unsold 21 days after t0), and whether it passes the deployed gate threshold';

CREATE FUNCTION ml.fast24_flag(listing_id bigint)
RETURNS TABLE(score float8, flag boolean, threshold float8, model_version integer)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m ml.models;
BEGIN
    PERFORM audit.require_certified('ml.fusion_feature_store_t0_v1_v'::regclass);
    SELECT x.* INTO m FROM ml.models x JOIN ml.deployments d USING (model_id) WHERE d.name = 'fast24_flagger';
    score := ml.score_listing('fast24_flagger', listing_id);
    threshold := coalesce((m.params->>'threshold')::float8, 0.5);
    flag := score >= threshold;
    model_version := m.version;
    RETURN NEXT;
END $$;
COMMENT ON FUNCTION ml.fast24_flag(bigint) IS 'spine: the fast24 flagger for one listing: P(sold within 24 h of t0) and the flag';

CREATE FUNCTION ml.predicted_days_to_sale(listing_id bigint) RETURNS float8
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM audit.require_certified('ml.survival_feature_store_t0_v1_v'::regclass);
    RETURN ml.score_listing('survival_time', listing_id);
END $$;
COMMENT ON FUNCTION ml.predicted_days_to_sale(bigint) IS
    'spine: median days to sale of one listing from the deployed survival model (Infinity when its curve stays above 0.5)';

REVOKE EXECUTE ON FUNCTION ml.train_slow21_gate(jsonb), ml.train_survival_time(jsonb), ml.train_fast24_flagger(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ml.train_slow21_gate(jsonb), ml.train_survival_time(jsonb), ml.train_fast24_flagger(jsonb) TO spine_trainer, spine_admin;

-- Scores of active listings (the reverse monitor's scoring step): the newest per listing and model.
CREATE TABLE ml.listing_scores (
    listing_id  bigint NOT NULL REFERENCES marketplace.listings,
    model       text NOT NULL,
    model_id    bigint NOT NULL REFERENCES ml.models,
    score       float8 NOT NULL,
    scored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (listing_id, model)
);
COMMENT ON TABLE ml.listing_scores IS 'spine: the newest score of each active listing per deployed model (survival_time: predicted median days to sale from t0)';
SELECT pg_catalog.pg_extension_config_dump('ml.listing_scores', '');
GRANT SELECT ON ml.listing_scores TO spine_reader, spine_trainer, spine_admin;

CREATE FUNCTION ml.score_survival_active() RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m bigint;
    n bigint;
BEGIN
    SELECT model_id INTO m FROM ml.deployments WHERE name = 'survival_time';
    IF m IS NULL THEN
        RAISE EXCEPTION 'ml.score_survival_active: no survival model is deployed'
            USING ERRCODE = 'no_data_found', HINT = 'Train one with ml.train_survival_time() (on a certified survival store).';
    END IF;
    PERFORM audit.require_certified('ml.survival_feature_store_t0_v1_v'::regclass);
    INSERT INTO ml.listing_scores AS t (listing_id, model, model_id, score, scored_at)
    SELECT s.key, 'survival_time', m, s.score, now()
    FROM ml.score_store('survival_time') s JOIN marketplace.listings l ON l.listing_id = s.key
    WHERE l.status = 'active'
    ON CONFLICT (listing_id, model) DO UPDATE SET model_id = EXCLUDED.model_id, score = EXCLUDED.score, scored_at = EXCLUDED.scored_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION ml.score_survival_active() IS
    'spine: the survival_marketplace_daily scoring step: predicted median days to sale of every active listing with the deployed survival model, behind audit.require_certified; returns the listings scored (Infinity when the curve never reaches 0.5)';
