# Stages 2–3 — text: segment (jieba + domain dictionary), code (codebook, negation), measure,
# audit and validate. The segment rule does not read the codebook, so editing the codebook
# re-runs only coding and what follows. Each source is segmented in `text.shards` shard jobs,
# and each city's two sources are coded together, one job per shard (streamed in batches of
# `text.batch_mb`); with more than one shard gather jobs join them per source
# (src/chainpb/text/stream.py: the joined file is the same for any shard count).

JIEBA_CACHE = ".cache/jieba"


rule segment:
    input:
        table=lambda wc: ingested(wc.source),
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        tokens=sharded("results/{city}/text/tokens_{source}.parquet"),
    log:
        sharded("logs/{city}/segment_{source}.log"),
    benchmark:
        sharded("benchmarks/out/{city}/segment_{source}.tsv")
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("segment.py"),
        source=lambda wc: wc.source,
        name=lambda wc: f"{wc.city}/{wc.source}",
        unit=TEXT["unit"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        shard=shard_number,
        shards=TEXT["shards"],
        batch_mb=TEXT["batch_mb"],
    script:
        "../../scripts/segment.py"


rule code_text:
    # One job per city (and shard) codes both sources: the codebook is compiled once, and a
    # codebook edit starts one process per city, not two (start-up was most of a job's time).
    input:
        tokens=per_source("results/{city}/text/tokens_{source}.parquet"),
        tables=[ingested(source) for source in SOURCES],
        codebook=CODEBOOK,
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        hits=per_source("results/{city}/text/hits_{source}.parquet"),
        units=per_source("results/{city}/text/units_{source}.parquet"),
    log:
        sharded("logs/{city}/code.log"),
    benchmark:
        sharded("benchmarks/out/{city}/code.tsv")
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("code_text.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
        sources=SOURCES,
        names=lambda wc: [f"{wc.city}/{source}" for source in SOURCES],
        unit=TEXT["unit"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        context_gate=[TEXT["context"]["gate"][source] for source in SOURCES],
        context_window=TEXT["context"]["window"],
        shard=shard_number,
        shards=TEXT["shards"],
        batch_mb=TEXT["batch_mb"],
    script:
        "../../scripts/code_text.py"


if TEXT["shards"] > 1:

    rule gather_tokens:
        input:
            tokens=shard_files("results/{city}/text/tokens_{source}.parquet"),
        output:
            tokens="results/{city}/text/tokens_{source}.parquet",
        log:
            "logs/{city}/gather_tokens_{source}.log",
        params:
            # the library code this script runs: an upgrade reruns exactly what changed
            code=code_of("gather_shards.py"),
        script:
            "../../scripts/gather_shards.py"

    rule gather_codes:
        input:
            hits=shard_files("results/{city}/text/hits_{source}.parquet"),
            units=shard_files("results/{city}/text/units_{source}.parquet"),
        output:
            hits="results/{city}/text/hits_{source}.parquet",
            units="results/{city}/text/units_{source}.parquet",
        log:
            "logs/{city}/gather_codes_{source}.log",
        params:
            # the library code this script runs: an upgrade reruns exactly what changed
            code=code_of("gather_shards.py"),
        script:
            "../../scripts/gather_shards.py"


rule text_measures:
    input:
        survey="results/{city}/ingest/survey.parquet",
        policies="results/{city}/ingest/policies.parquet",
        answer_hits="results/{city}/text/hits_answers.parquet",
        policy_hits="results/{city}/text/hits_policies.parquet",
        policy_tokens="results/{city}/text/tokens_policies.parquet",
        codebook=CODEBOOK,
        # The supervised coder's stored probabilities (supervised_predict, which never reads
        # the codebook): the hybrid measure combines them with the codebook's firm codes. One
        # job with the codebook measures, so that a codebook edit starts one process per city.
        predictions="results/{city}/text/supervised_predictions.parquet",
    output:
        firm_difficulty="results/{city}/text/firm_difficulty.parquet",
        policy_themes="results/{city}/text/policy_themes.parquet",
        document_themes="results/{city}/text/document_themes.csv",
        supervised="results/{city}/text/firm_difficulty_supervised.parquet",
    log:
        "logs/{city}/text_measures.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("text_measures.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
        hybrid_min_probability=TEXT["supervised"]["hybrid_min_probability"],
    script:
        "../../scripts/text_measures.py"


rule supervised_coder:
    # Fitted once for all cities, on the gold units only (internal file, not a result).
    input:
        gold=GOLD_FILES,
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        coder="results/text/supervised/coder.pickle",
    log:
        "logs/text/supervised_coder.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("supervised_coder.py"),
        seed=config["seed"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        cv_folds=TEXT["supervised"]["cv_folds"],
    script:
        "../../scripts/supervised_coder.py"


rule supervised_predict:
    input:
        coder="results/text/supervised/coder.pickle",
        survey="results/{city}/ingest/survey.parquet",
        answer_tokens="results/{city}/text/tokens_answers.parquet",
    output:
        predictions="results/{city}/text/supervised_predictions.parquet",
    log:
        "logs/{city}/supervised_predict.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("supervised_predict.py"),
    script:
        "../../scripts/supervised_predict.py"


rule validate_coding:
    # Cheap: codebook codes of the gold units against gold and the stored supervised codes
    # (supervised_out_of_fold, which never reads the codebook).
    input:
        gold=GOLD_FILES,
        codebook=CODEBOOK,
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
        supervised="results/text/supervised/gold_out_of_fold.parquet",
    output:
        agreement=report(
            "results/text/validation/agreement.csv",
            caption="../report/agreement.rst",
            category="2 文本编码 Text coding",
            subcategory="验证 Validation",
        ),
        disagreements=report(
            "results/text/validation/disagreements.csv",
            caption="../report/disagreements.rst",
            category="2 文本编码 Text coding",
            subcategory="验证 Validation",
        ),
        supervised="results/text/validation/supervised_out_of_fold.csv",
    log:
        "logs/text/validate_coding.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("validate_coding.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        hybrid_min_probability=TEXT["supervised"]["hybrid_min_probability"],
        context=TEXT["context"],
    script:
        "../../scripts/validate_coding.py"


rule supervised_out_of_fold:
    # The costly part of the validation: out-of-fold fits on the gold units; no codebook.
    input:
        gold=GOLD_FILES,
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
        coder="results/text/supervised/coder.pickle",
    output:
        predictions="results/text/supervised/gold_out_of_fold.parquet",
    log:
        "logs/text/supervised_out_of_fold.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("supervised_out_of_fold.py"),
        seed=config["seed"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        cv_folds=TEXT["supervised"]["cv_folds"],
    script:
        "../../scripts/supervised_out_of_fold.py"


rule text_audit:
    input:
        surveys=per_city("results/{city}/ingest/survey.parquet"),
        policies=per_city("results/{city}/ingest/policies.parquet"),
        answer_tokens=per_city("results/{city}/text/tokens_answers.parquet"),
        policy_tokens=per_city("results/{city}/text/tokens_policies.parquet"),
        answer_hits=per_city("results/{city}/text/hits_answers.parquet"),
        policy_hits=per_city("results/{city}/text/hits_policies.parquet"),
        firm_difficulty=per_city("results/{city}/text/firm_difficulty.parquet"),
        stopwords=TEXT["stopwords"],
        codebook=CODEBOOK,
    output:
        kwic=report(
            "results/text/kwic.csv",
            caption="../report/kwic.rst",
            category="2 文本编码 Text coding",
            subcategory="审计 Audit",
        ),
        category_city=report(
            "results/text/category_city.csv",
            caption="../report/category_city.rst",
            category="2 文本编码 Text coding",
            subcategory="审计 Audit",
        ),
        cooccurrence="results/text/cooccurrence.csv",
        top_words="results/text/top_words.csv",
        city_shares="results/text/city_shares.csv",
        codebook_hash="results/text/codebook_hash.txt",
    log:
        "logs/text/text_audit.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("text_audit.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
    script:
        "../../scripts/text_audit.py"
