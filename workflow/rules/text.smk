# Stages 2–3 — text: segment (jieba + domain dictionary), code (codebook, negation), measure,
# audit and validate. The segment rule does not read the codebook, so editing the codebook
# re-runs only coding and what follows.

JIEBA_CACHE = ".cache/jieba"


rule segment:
    input:
        table=lambda wc: ingested(wc.source),
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        tokens="results/{city}/text/tokens_{source}.parquet",
    log:
        "logs/{city}/segment_{source}.log",
    benchmark:
        "benchmarks/out/{city}/segment_{source}.tsv"
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("segment.py"),
        source=lambda wc: wc.source,
        name=lambda wc: f"{wc.city}/{wc.source}",
        unit=TEXT["unit"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
    script:
        "../../scripts/segment.py"


rule code_text:
    input:
        tokens="results/{city}/text/tokens_{source}.parquet",
        table=lambda wc: ingested(wc.source),
        codebook=TEXT["codebook"],
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        hits="results/{city}/text/hits_{source}.parquet",
        units="results/{city}/text/units_{source}.parquet",
    log:
        "logs/{city}/code_{source}.log",
    benchmark:
        "benchmarks/out/{city}/code_{source}.tsv"
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("code_text.py"),
        source=lambda wc: wc.source,
        name=lambda wc: f"{wc.city}/{wc.source}",
        unit=TEXT["unit"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        context_gate=lambda wc: TEXT["context"]["gate"][wc.source],
        context_window=TEXT["context"]["window"],
    script:
        "../../scripts/code_text.py"


rule text_measures:
    input:
        survey="results/{city}/ingest/survey.parquet",
        policies="results/{city}/ingest/policies.parquet",
        answer_hits="results/{city}/text/hits_answers.parquet",
        policy_hits="results/{city}/text/hits_policies.parquet",
        policy_tokens="results/{city}/text/tokens_policies.parquet",
        codebook=TEXT["codebook"],
    output:
        firm_difficulty="results/{city}/text/firm_difficulty.parquet",
        policy_themes="results/{city}/text/policy_themes.parquet",
        document_themes="results/{city}/text/document_themes.csv",
    log:
        "logs/{city}/text_measures.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("text_measures.py"),
    script:
        "../../scripts/text_measures.py"


rule supervised_measure:
    input:
        gold=GOLD_FILES,
        survey="results/{city}/ingest/survey.parquet",
        answer_tokens="results/{city}/text/tokens_answers.parquet",
        # The hybrid measure combines the codebook's firm codes with the coder's probabilities.
        firm_difficulty="results/{city}/text/firm_difficulty.parquet",
        # An answer that only denies a difficulty gets no supervised call of it.
        answer_hits="results/{city}/text/hits_answers.parquet",
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        measure="results/{city}/text/firm_difficulty_supervised.parquet",
    log:
        "logs/{city}/supervised_measure.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("supervised_measure.py"),
        seed=config["seed"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        cv_folds=TEXT["supervised"]["cv_folds"],
        hybrid_min_probability=TEXT["supervised"]["hybrid_min_probability"],
    script:
        "../../scripts/supervised_measure.py"


rule validate_coding:
    input:
        gold=GOLD_FILES,
        codebook=TEXT["codebook"],
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
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
        seed=config["seed"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        cv_folds=TEXT["supervised"]["cv_folds"],
        hybrid_min_probability=TEXT["supervised"]["hybrid_min_probability"],
        context=TEXT["context"],
    script:
        "../../scripts/validate_coding.py"


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
        codebook=TEXT["codebook"],
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
    script:
        "../../scripts/text_audit.py"
