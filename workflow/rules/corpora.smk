# Text collections that are not cities (config corpora:): one table of documents each, read,
# cleaned and deduplicated, then the same text stage as a city's policy texts (segment, code),
# measured per document, per group and over time, with a KWIC and figures. Results live in
# results/corpora/<key>/; `snakemake corpora` builds only these.
CORPORA = cpconfig.corpora(config, PROJECT)
CORPUS_KEYS = list(CORPORA)
CORPUS_DIR = "results/corpora/{corpus}"
CORPUS_OUTPUTS = expand(
    [
        CORPUS_DIR + "/ingest/cleaning.csv",
        CORPUS_DIR + "/ingest/dedup.csv",
        CORPUS_DIR + "/text/kwic.csv",
        CORPUS_DIR + "/text/documents.csv",
        CORPUS_DIR + "/text/groups.csv",
        CORPUS_DIR + "/text/over_time.csv",
        CORPUS_DIR + "/figures/groups.png",
        CORPUS_DIR + "/figures/over_time.png",
        CORPUS_DIR + "/tables/over_time.docx",
    ],
    corpus=CORPUS_KEYS,
)


wildcard_constraints:
    # (?!) matches nothing: without corpora no job can ask for one.
    corpus="|".join(CORPUS_KEYS) or "(?!)",


def corpus_of(wildcards):
    return CORPORA[wildcards.corpus]


rule ingest_corpus:
    input:
        table=lambda wc: project_path(corpus_of(wc).file),
    output:
        documents=CORPUS_DIR + "/ingest/documents.parquet",
        cleaning=CORPUS_DIR + "/ingest/cleaning.csv",
        dedup=CORPUS_DIR + "/ingest/dedup.csv",
    log:
        "logs/corpora/{corpus}/ingest_corpus.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("ingest_corpus.py"),
        corpus=lambda wc: wc.corpus,
        columns=lambda wc: corpus_of(wc).columns,
        sheet=lambda wc: corpus_of(wc).sheet,
        # the global documents block with the corpus's own laid over it
        documents=lambda wc: corpus_of(wc).documents,
    script:
        "../../scripts/ingest_corpus.py"


rule segment_corpus:
    input:
        table=CORPUS_DIR + "/ingest/documents.parquet",
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        tokens=sharded(CORPUS_DIR + "/text/tokens.parquet"),
    log:
        sharded("logs/corpora/{corpus}/segment_corpus.log"),
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("segment.py"),
        # a collection is segmented and coded as a city's policy texts, by the same scripts
        source="policies",
        name=lambda wc: f"corpora/{wc.corpus}",
        unit=TEXT["unit"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        shard=shard_number,
        shards=TEXT["shards"],
        batch_mb=TEXT["batch_mb"],
    script:
        "../../scripts/segment.py"


rule code_corpus:
    input:
        tokens=[sharded(CORPUS_DIR + "/text/tokens.parquet")],
        tables=[CORPUS_DIR + "/ingest/documents.parquet"],
        codebook=CODEBOOK,
        user_dict=TEXT["user_dict"],
        stopwords=TEXT["stopwords"],
    output:
        hits=[sharded(CORPUS_DIR + "/text/hits.parquet")],
        units=[sharded(CORPUS_DIR + "/text/units.parquet")],
    log:
        sharded("logs/corpora/{corpus}/code_corpus.log"),
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("code_text.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
        # a corpus is coded as policy texts are (scripts/code_text.py takes lists: a city codes
        # its answers and its policy texts in one job)
        sources=["policies"],
        names=lambda wc: [f"corpora/{wc.corpus}"],
        unit=TEXT["unit"],
        cache_dir=JIEBA_CACHE,
        segmenter=TEXT["segmenter"],
        context_gate=[TEXT["context"]["gate"]["policies"]],
        context_window=TEXT["context"]["window"],
        shard=shard_number,
        shards=TEXT["shards"],
        batch_mb=TEXT["batch_mb"],
    script:
        "../../scripts/code_text.py"


if TEXT["shards"] > 1:

    rule gather_corpus_tokens:
        input:
            tokens=shard_files(CORPUS_DIR + "/text/tokens.parquet"),
        output:
            tokens=CORPUS_DIR + "/text/tokens.parquet",
        log:
            "logs/corpora/{corpus}/gather_tokens.log",
        params:
            # the library code this script runs: an upgrade reruns exactly what changed
            code=code_of("gather_shards.py"),
        script:
            "../../scripts/gather_shards.py"

    rule gather_corpus_codes:
        input:
            hits=shard_files(CORPUS_DIR + "/text/hits.parquet"),
            units=shard_files(CORPUS_DIR + "/text/units.parquet"),
        output:
            hits=CORPUS_DIR + "/text/hits.parquet",
            units=CORPUS_DIR + "/text/units.parquet",
        log:
            "logs/corpora/{corpus}/gather_codes.log",
        params:
            # the library code this script runs: an upgrade reruns exactly what changed
            code=code_of("gather_shards.py"),
        script:
            "../../scripts/gather_shards.py"


rule corpus_measures:
    input:
        table=CORPUS_DIR + "/ingest/documents.parquet",
        hits=CORPUS_DIR + "/text/hits.parquet",
    output:
        documents=CORPUS_DIR + "/text/documents.csv",
        groups=CORPUS_DIR + "/text/groups.csv",
        over_time=CORPUS_DIR + "/text/over_time.csv",
        kwic=CORPUS_DIR + "/text/kwic.csv",
    log:
        "logs/corpora/{corpus}/corpus_measures.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("corpus_measures.py"),
        group_by=lambda wc: list(corpus_of(wc).group_by),
        by_group=lambda wc: "group" in corpus_of(wc).columns,
    script:
        "../../scripts/corpus_measures.py"


rule corpus_present:
    input:
        groups=CORPUS_DIR + "/text/groups.csv",
        over_time=CORPUS_DIR + "/text/over_time.csv",
    output:
        groups=[
            report(
                CORPUS_DIR + "/figures/groups.png",
                caption="../report/corpus_groups.rst",
                category="8 文本集 Corpora",
                subcategory="{corpus}",
            ),
            CORPUS_DIR + "/figures/groups.pdf",
        ],
        over_time=[
            report(
                CORPUS_DIR + "/figures/over_time.png",
                caption="../report/corpus_over_time.rst",
                category="8 文本集 Corpora",
                subcategory="{corpus}",
            ),
            CORPUS_DIR + "/figures/over_time.pdf",
        ],
        table_docx=CORPUS_DIR + "/tables/over_time.docx",
        table_tex=CORPUS_DIR + "/tables/over_time.tex",
        table_html=CORPUS_DIR + "/tables/over_time.html",
    log:
        "logs/corpora/{corpus}/corpus_present.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("corpus_present.py"),
        name=lambda wc: (
            corpus_of(wc).name if config["language"] == "zh" else corpus_of(wc).name_en
        ),
        language=config["language"],
    script:
        "../../scripts/corpus_present.py"


rule corpora:
    input:
        CORPUS_OUTPUTS,
