-- ONNX models (docs/onnx.md): importing returns the registry row (like ml.train); the Rust halves
-- (ml._import_onnx, ml._import_onnx_embedding) validate, probe, register and deploy.

CREATE FUNCTION ml.import_onnx(model text, onnx bytea, features text[]) RETURNS ml.models
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
    r ml.models;
BEGIN
    id := ml._import_onnx(model, onnx, features);
    SELECT * INTO STRICT r FROM ml.models m WHERE m.model_id = id;
    RETURN r;
END $$;
COMMENT ON FUNCTION ml.import_onnx(text, bytea, text[]) IS
    'spine: validates an ONNX binary classifier (probabilities [rows, 2], zipmap off) or regressor over the named features, registers it as the next version of the name and deploys it; ml.predict then scores with ONNX Runtime';

CREATE FUNCTION ml.import_onnx_embedding(model text, onnx bytea, kind text, tokenizer text DEFAULT NULL,
                                         config jsonb DEFAULT '{}') RETURNS ml.models
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
    r ml.models;
BEGIN
    id := ml._import_onnx_embedding(model, onnx, kind, tokenizer, config);
    SELECT * INTO STRICT r FROM ml.models m WHERE m.model_id = id;
    RETURN r;
END $$;
COMMENT ON FUNCTION ml.import_onnx_embedding(text, bytea, text, text, jsonb) IS
    'spine: registers and deploys an ONNX text encoder (kind text, with its tokenizer.json; mean pooling, L2 normalisation) or image encoder (kind image; preprocessing from the model''s spine.preprocess metadata or config) for ml.embed_text / ml.embed_image';

CREATE FUNCTION ml.import_onnx_image_classifier(model text, onnx bytea, labels text[], config jsonb DEFAULT '{}') RETURNS ml.models
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
    r ml.models;
BEGIN
    id := ml._import_onnx_image_classifier(model, onnx, labels, config);
    SELECT * INTO STRICT r FROM ml.models m WHERE m.model_id = id;
    RETURN r;
END $$;
COMMENT ON FUNCTION ml.import_onnx_image_classifier(text, bytea, text[], jsonb) IS
    'spine: registers and deploys an ONNX image classifier (one score per label, [N, labels]; logits get a softmax), preprocessed like image embeddings; ml.classify_image scores with it and label_damage jobs use it';

-- importing is training: for spine_trainer and spine_admin; scoring and embedding for everyone
REVOKE EXECUTE ON FUNCTION ml._import_onnx_image_classifier(text, bytea, text[], jsonb), ml.import_onnx_image_classifier(text, bytea, text[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ml._import_onnx_image_classifier(text, bytea, text[], jsonb), ml.import_onnx_image_classifier(text, bytea, text[], jsonb) TO spine_trainer, spine_admin;
REVOKE EXECUTE ON FUNCTION ml._import_onnx(text, bytea, text[]), ml.import_onnx(text, bytea, text[]),
    ml._import_onnx_embedding(text, bytea, text, text, jsonb), ml.import_onnx_embedding(text, bytea, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ml._import_onnx(text, bytea, text[]), ml.import_onnx(text, bytea, text[]),
    ml._import_onnx_embedding(text, bytea, text, text, jsonb), ml.import_onnx_embedding(text, bytea, text, text, jsonb)
    TO spine_trainer, spine_admin;
