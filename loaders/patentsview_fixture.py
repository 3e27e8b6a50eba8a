"""Generate synthetic PatentsView bulk-download files for tests and benchmarks (`patentcl bench load --generate`).

The files imitate the "granted patent" tables that PatentsView publishes at
https://patentsview.org/download/data-download-tables:

* tab-separated, UTF-8 (no BOM), ``\\n`` line ends, ``.tsv`` extension, one header row;
* every text field (header names included) is enclosed in double quotes, embedded quotes
  are doubled (``""``), numeric fields are written bare: Python ``csv.QUOTE_NONNUMERIC``
  semantics, which is what the official read-in script expects::

      pd.read_csv(path, sep="\\t", quoting=csv.QUOTE_NONNUMERIC, dtype=str)

  (read with ``csv.reader(..., delimiter="\\t", quoting=csv.QUOTE_NONNUMERIC)`` the bare
  fields come back as ``float``, the quoted ones, ``patent_id`` included, as ``str``);
* with ``--zip`` each table is written as ``<name>.tsv.zip`` holding one member
  ``<name>.tsv`` (as PatentsView ships them).

Tables and columns:

``g_patent.tsv``
    patent_id, patent_type, patent_date, patent_title, wipo_kind, num_claims, withdrawn,
    filename. ``patent_id`` is a string: utility ``"11532378"`` (7-8 digits), design
    ``"D912345"``, reissue ``"RE49000"``; ``patent_type`` ``utility``/``design``/``reissue``;
    ``patent_date`` a Tuesday between 2015-01-06 and 2024-12-31, ids increase with the date;
    ``wipo_kind`` ``B1``/``B2``/``S1``/``E``; ``num_claims`` and ``withdrawn`` (0/1, about 0.3%
    are 1) numeric; ``filename`` ``ipgYYMMDD.xml``. With ``--legacy-abstract`` a
    ``patent_abstract`` column follows ``patent_title`` (older release layout) and
    ``g_patent_abstract.tsv`` is not written.
``g_patent_abstract.tsv``
    patent_id, patent_abstract. Design patents have no abstract and no row here (as in the
    real data); in legacy mode their ``patent_abstract`` is ``""``.
``g_cpc_current.tsv``
    patent_id, cpc_sequence (numeric, 0-based), cpc_section, cpc_class, cpc_subclass,
    cpc_group (full symbol: ``G06N3/084``; main groups as ``G06N3/00``), cpc_type
    (``inventional``/``additional``; sequence 0 is always inventional). Every patent has 1-6
    codes from a small realistic hierarchy (8 subclasses in sections A, B, G, H, 26 main
    groups, 65 subgroups). The first code is the patent's topic; titles and abstracts are built
    from that code's word list (plus one other code's), so patents sharing a code share
    vocabulary. Text includes commas, embedded double quotes, non-ASCII (é, ï, µ, “smart
    quotes”) and a few backslashes, never tabs or newlines.
``g_us_patent_citation.tsv``
    patent_id, citation_sequence (numeric, 0-based), citation_patent_id, citation_date,
    record_name, wipo_kind, citation_category (``cited by applicant``/``cited by examiner``/
    ``cited by other``). 5-15 distinct citations per patent, always to patents granted in an
    earlier week, preferably sharing the citing patent's codes or subclass. About 20% cite
    ids that are not in ``g_patent`` (older patents, 4,000,000-8,899,999, dated 1976-2014).
    ``citation_date`` is the cited patent's grant date, ``record_name`` a patentee name such
    as ``"Müller et al."``, ``wipo_kind`` the cited patent's kind (``A`` before 2001).
``g_cpc_title.tsv``
    cpc_subclass, cpc_subclass_title, cpc_group, cpc_group_title, cpc_class,
    cpc_class_title: one row per group used in ``g_cpc_current`` plus the main groups of the
    subgroups used.

``--realistic`` (for scale runs) draws the codes from a synthetic scheme of the real CPC's size
and shape instead (9 sections, 136 classes, 661 subclasses, 11,008 main groups, 238,622
subgroups; symbols such as ``B21K13/14``), with Zipf topic weights at every level, so that the
codes in use grow with the patents and most subgroups hold few patents, as in PatentsView; 1-40
codes a patent (mean about 4.5); citations per patent log-normal (median 9, mean about 13, up to
400), a third of them to patents already cited (preferential attachment: a few patents gather
thousands of citations). Titles and words come from the hand-made list plus a made-up word per
code.

``--broken`` adds a handful of malformed rows (on top of the valid rows, which stay
byte-identical to a run without ``--broken``) and lists them in ``BROKEN.txt`` in the output
folder: a tab-separated file, first line ``file<TAB>line<TAB>kind<TAB>reason``, then one line
per malformed row: the table's ``.tsv`` name (the member name when zipped), the 1-based line
number counting the header as line 1 (no field contains a newline, so physical line = record
number + 1), a kind (``column_count``, ``broken_quote``, ``bad_date``, ``empty_patent_id``,
``bad_cpc_group``) and a free-text reason. Malformed ``g_patent`` rows carry ids (99990001...)
that no other table refers to; malformed ``g_cpc_current``/``g_us_patent_citation`` rows belong
to valid patents.

Output is a pure function of the options (seeded ``random.Random``, no clock, fixed zip
timestamps). Rows are streamed to disk; memory holds only a few small arrays per patent.

Usage::

    python -m patentcl.loaders.patentsview_fixture --out /tmp/pv            # 2000 patents, seed 7
    python -m patentcl.loaders.patentsview_fixture --out /tmp/pv --zip --broken
    python -m patentcl.loaders.patentsview_fixture --out /tmp/pv --patents 200000 --legacy-abstract
    python -m patentcl.loaders.patentsview_fixture --out /tmp/pv --patents 1000000 --realistic
"""

from __future__ import annotations

import _csv
import argparse
import csv
import datetime as dt
import functools
import io
import math
import random
import sys
import zipfile
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, NamedTuple

# --------------------------------------------------------------------------------------
# CPC hierarchy: (subclass, subclass title, class, class title, weight,
#                 [(main group, title, terms, [(subgroup, title, terms), ...]), ...])
# Titles follow the real CPC scheme (abridged in places).
# --------------------------------------------------------------------------------------
HIERARCHY: list[tuple[str, str, str, str, float, list]] = [
    (
        "G06N",
        "Computing arrangements based on specific computational models",
        "G06",
        "Computing; calculating or counting",
        5.0,
        [
            (
                "G06N3/00",
                "Computing arrangements based on biological models",
                ["artificial neural network", "neuron model", "synaptic weight"],
                [
                    (
                        "G06N3/08",
                        "Learning methods",
                        ["training data set", "learning rate", "model parameters", "training epoch", "validation loss"],
                    ),
                    (
                        "G06N3/084",
                        "Backpropagation, e.g. using gradient descent",
                        ["backpropagation", "gradient descent", "loss function", "weight update", "error gradient"],
                    ),
                    (
                        "G06N3/04",
                        "Architecture, e.g. interconnection topology",
                        ["network topology", "hidden layer", "layer configuration", "skip connection"],
                    ),
                    (
                        "G06N3/044",
                        "Recurrent networks, e.g. Hopfield networks",
                        [
                            "recurrent neural network",
                            "long short-term memory cell",
                            "hidden state",
                            "gated recurrent unit",
                            "sequence model",
                        ],
                    ),
                    (
                        "G06N3/045",
                        "Combinations of networks",
                        [
                            "encoder network",
                            "decoder network",
                            "transformer block",
                            "attention head",
                            "ensemble of subnetworks",
                        ],
                    ),
                    (
                        "G06N3/0464",
                        "Convolutional networks [CNN, ConvNet]",
                        [
                            "convolutional layer",
                            "convolution kernel",
                            "pooling layer",
                            "feature map",
                            "receptive field",
                        ],
                    ),
                    (
                        "G06N3/088",
                        "Non-supervised learning, e.g. competitive learning",
                        [
                            "unlabeled data",
                            "autoencoder",
                            "latent representation",
                            "contrastive objective",
                            "self-supervised pretext task",
                        ],
                    ),
                    (
                        "G06N3/09",
                        "Supervised learning",
                        [
                            "labeled training example",
                            "ground truth label",
                            "classification head",
                            "supervised training signal",
                        ],
                    ),
                    (
                        "G06N3/092",
                        "Reinforcement learning",
                        [
                            "reward signal",
                            "policy network",
                            "agent",
                            "value function",
                            "environment state",
                            "action space",
                        ],
                    ),
                ],
            ),
            (
                "G06N20/00",
                "Machine learning",
                ["machine learning model", "trained model", "feature vector", "model inference"],
                [
                    (
                        "G06N20/10",
                        "Using kernel methods, e.g. support vector machines [SVM]",
                        ["support vector machine", "kernel function", "decision boundary", "margin"],
                    ),
                    (
                        "G06N20/20",
                        "Ensemble learning",
                        ["random forest", "gradient boosted trees", "ensemble model", "weak learner"],
                    ),
                ],
            ),
            (
                "G06N5/00",
                "Computing arrangements using knowledge-based models",
                ["knowledge base", "rule engine", "expert system"],
                [
                    (
                        "G06N5/022",
                        "Knowledge engineering; Knowledge acquisition",
                        ["knowledge graph", "entity relation", "ontology", "triple store"],
                    ),
                    (
                        "G06N5/04",
                        "Inference or reasoning models",
                        ["inference engine", "reasoning chain", "logical rule", "explanation"],
                    ),
                ],
            ),
            (
                "G06N7/00",
                "Computing arrangements based on specific mathematical models",
                ["mathematical model", "stochastic process"],
                [
                    (
                        "G06N7/01",
                        "Probabilistic graphical models, e.g. probabilistic networks",
                        [
                            "Bayesian network",
                            "posterior probability",
                            "conditional distribution",
                            "Markov chain",
                            "naïve Bayes classifier",
                        ],
                    ),
                ],
            ),
            (
                "G06N10/00",
                "Quantum computing, i.e. information processing based on quantum-mechanical phenomena",
                ["quantum computer", "qubit", "quantum state"],
                [
                    (
                        "G06N10/20",
                        "Models of quantum computing, e.g. quantum circuits or universal quantum computers",
                        ["quantum circuit", "quantum gate", "entangled qubits", "error-corrected qubit"],
                    ),
                    (
                        "G06N10/60",
                        "Quantum algorithms, e.g. based on quantum optimisation, quantum "
                        "Fourier or Hadamard transforms",
                        ["variational quantum algorithm", "quantum annealing", "Hamiltonian", "quantum optimisation"],
                    ),
                ],
            ),
        ],
    ),
    (
        "G06F",
        "Electric digital data processing",
        "G06",
        "Computing; calculating or counting",
        4.0,
        [
            (
                "G06F16/00",
                "Information retrieval; Database structures therefor; File system structures therefor",
                ["database", "data record", "index structure"],
                [
                    (
                        "G06F16/2255",
                        "Hash tables",
                        ["hash table", "hash bucket", "locality-sensitive hashing", "hash key"],
                    ),
                    (
                        "G06F16/24534",
                        "Query rewriting; Transformation",
                        ["query plan", "query rewriting", "cost-based optimizer", "join order"],
                    ),
                    (
                        "G06F16/3347",
                        "Query execution using vector based model",
                        [
                            "vector index",
                            "embedding vector",
                            "nearest neighbor search",
                            "cosine similarity",
                            "approximate nearest neighbor",
                        ],
                    ),
                    (
                        "G06F16/35",
                        "Clustering; Classification",
                        ["document cluster", "topic classification", "cluster centroid", "document label"],
                    ),
                    ("G06F16/903", "Querying", ["search query", "query result", "relevance score", "ranked list"]),
                ],
            ),
            (
                "G06F40/00",
                "Handling natural language data",
                ["natural language text", "linguistic feature", "text corpus"],
                [
                    (
                        "G06F40/30",
                        "Semantic analysis",
                        [
                            "semantic similarity",
                            "word embedding",
                            "sentence embedding",
                            "semantic role",
                            "meaning representation",
                        ],
                    ),
                    (
                        "G06F40/284",
                        "Lexical analysis, e.g. tokenisation or collocates",
                        ["tokenizer", "subword token", "vocabulary", "byte-pair encoding"],
                    ),
                    ("G06F40/205", "Parsing", ["syntactic parser", "dependency tree", "parse tree", "grammar rule"]),
                    (
                        "G06F40/58",
                        "Use of machine translation, e.g. for multi-lingual retrieval, for "
                        "server-side translation for client devices or for real-time translation",
                        [
                            "machine translation",
                            "source language",
                            "target language",
                            "translation model",
                            "bilingual corpus",
                        ],
                    ),
                ],
            ),
            (
                "G06F21/00",
                "Security arrangements for protecting computers, components thereof, "
                "programs or data against unauthorised activity",
                ["security policy", "protected resource", "trusted execution environment"],
                [
                    (
                        "G06F21/55",
                        "Detecting local intrusion or implementing counter-measures",
                        ["malware sample", "intrusion signature", "behavioral anomaly", "threat score"],
                    ),
                    (
                        "G06F21/6245",
                        "Protecting personal data, e.g. for financial or medical purposes",
                        ["personal data", "differential privacy", "data anonymization", "privacy budget"],
                    ),
                ],
            ),
            (
                "G06F9/00",
                "Arrangements for program control, e.g. control units",
                ["processing unit", "instruction stream", "execution thread"],
                [
                    (
                        "G06F9/5027",
                        "Allocation of resources, e.g. of the central processing unit "
                        "[CPU], the resource being a machine, e.g. CPUs, servers, terminals",
                        ["workload scheduler", "compute node", "resource allocation", "GPU cluster", "job queue"],
                    ),
                    (
                        "G06F9/4881",
                        "Scheduling strategies for dispatcher, e.g. round robin, multi-level priority queues",
                        ["task scheduler", "priority queue", "dispatch latency", "time slice"],
                    ),
                ],
            ),
        ],
    ),
    (
        "G06V",
        "Image or video recognition or understanding",
        "G06",
        "Computing; calculating or counting",
        3.0,
        [
            (
                "G06V10/00",
                "Arrangements for image or video recognition or understanding",
                ["input image", "image region", "visual feature"],
                [
                    (
                        "G06V10/82",
                        "Arrangements for image or video recognition or understanding using neural networks",
                        ["image classifier", "object detector", "bounding box", "backbone network"],
                    ),
                    (
                        "G06V10/764",
                        "Arrangements for image or video recognition or understanding using "
                        "classification, e.g. of video objects",
                        ["object class", "class score", "image label", "confidence threshold"],
                    ),
                    (
                        "G06V10/44",
                        "Local feature extraction by analysis of parts of the pattern, e.g. "
                        "by detecting edges, contours, loops, corners, strokes or intersections",
                        ["edge map", "keypoint descriptor", "corner detector", "contour"],
                    ),
                ],
            ),
            (
                "G06V20/00",
                "Scenes; Scene-specific elements",
                ["scene", "scene graph"],
                [
                    (
                        "G06V20/56",
                        "Context or environment of the image exterior to a vehicle by using "
                        "sensors mounted on the vehicle",
                        ["camera frame", "road scene", "lane marking", "lidar point cloud"],
                    ),
                    (
                        "G06V20/58",
                        "Recognition of moving objects or obstacles, e.g. vehicles or "
                        "pedestrians; Recognition of traffic objects, e.g. traffic signs, traffic lights "
                        "or roads",
                        ["pedestrian", "traffic sign", "obstacle", "moving object track"],
                    ),
                ],
            ),
            (
                "G06V40/00",
                "Recognition of biometric, human-related or animal-related patterns in image or video data",
                ["biometric sample", "human subject"],
                [
                    (
                        "G06V40/16",
                        "Human faces, e.g. facial parts, sketches or expressions",
                        ["face image", "facial landmark", "face embedding", "facial expression"],
                    ),
                    (
                        "G06V40/20",
                        "Movements or behaviour, e.g. gesture recognition",
                        ["hand gesture", "body pose", "skeleton keypoints", "activity label"],
                    ),
                ],
            ),
        ],
    ),
    (
        "G10L",
        "Speech analysis techniques or speech synthesis; speech recognition; speech or "
        "voice processing techniques; speech or audio coding or decoding",
        "G10",
        "Musical instruments; acoustics",
        1.5,
        [
            (
                "G10L15/00",
                "Speech recognition",
                ["speech signal", "utterance", "spoken word"],
                [
                    (
                        "G10L15/16",
                        "Speech classification or search using artificial neural networks",
                        ["acoustic model", "phoneme posterior", "spectrogram frame", "CTC loss"],
                    ),
                    (
                        "G10L15/22",
                        "Procedures used during a speech recognition process, e.g. man-machine dialogue",
                        ["voice assistant", "dialogue turn", "wake word", "user intent"],
                    ),
                    (
                        "G10L15/26",
                        "Speech to text systems",
                        ["transcript", "speech-to-text engine", "word error rate", "audio stream"],
                    ),
                ],
            ),
            (
                "G10L13/00",
                "Speech synthesis; Text to speech systems",
                ["synthetic speech", "text-to-speech engine"],
                [
                    (
                        "G10L13/027",
                        "Concept to speech synthesisers; Generation of natural phrases from machine-based concepts",
                        ["vocoder", "mel spectrogram", "prosody", "speaker embedding"],
                    ),
                ],
            ),
            (
                "G10L25/00",
                "Speech or voice analysis techniques not restricted to a single one of groups G10L15/00 - G10L21/00",
                ["voice signal", "audio feature"],
                [
                    (
                        "G10L25/30",
                        "Speech or voice analysis techniques characterised by the analysis "
                        "technique using neural networks",
                        ["audio embedding", "speaker verification", "voice activity", "pitch contour"],
                    ),
                ],
            ),
        ],
    ),
    (
        "H04L",
        "Transmission of digital information, e.g. telegraphic communication",
        "H04",
        "Electric communication technique",
        2.0,
        [
            (
                "H04L9/00",
                "Arrangements for secret or secure communications; Network security protocols",
                ["cryptographic key", "secure channel", "ciphertext"],
                [
                    (
                        "H04L9/32",
                        "Arrangements for secret or secure communications including means "
                        "for verifying the identity or authority of a user of the system or for message "
                        "authentication",
                        ["digital signature", "authentication token", "certificate", "user credential"],
                    ),
                    (
                        "H04L9/0643",
                        "Hash functions, e.g. MD5, SHA, HMAC or f9 MAC",
                        ["hash digest", "message authentication code", "SHA-256 hash", "salt value"],
                    ),
                    (
                        "H04L9/50",
                        "Arrangements for secret or secure communications using hash chains, "
                        "e.g. blockchains or hash trees",
                        ["blockchain", "distributed ledger", "smart contract", "Merkle tree"],
                    ),
                ],
            ),
            (
                "H04L63/00",
                "Network architectures or network communication protocols for network security",
                ["network security", "firewall", "network traffic"],
                [
                    (
                        "H04L63/1425",
                        "Traffic logging, e.g. anomaly detection",
                        ["traffic log", "anomaly score", "flow record", "baseline traffic profile"],
                    ),
                    (
                        "H04L63/1416",
                        "Event detection, e.g. attack signature detection",
                        ["attack signature", "security event", "intrusion alert", "packet payload"],
                    ),
                    (
                        "H04L63/0861",
                        "Network security for authentication of entities using "
                        "biometrical features, e.g. fingerprint, retina-scan",
                        ["fingerprint template", "biometric credential", "liveness check"],
                    ),
                ],
            ),
            (
                "H04L67/00",
                "Network arrangements or protocols for supporting network services or applications",
                ["network service", "client device", "server"],
                [
                    (
                        "H04L67/10",
                        "Protocols in which an application is distributed across nodes in the network",
                        ["edge node", "federated learning round", "distributed application", "remote server"],
                    ),
                    (
                        "H04L67/306",
                        "User profiles",
                        ["user profile", "preference vector", "session history", "personalization"],
                    ),
                ],
            ),
        ],
    ),
    (
        "H04N",
        "Pictorial communication, e.g. television",
        "H04",
        "Electric communication technique",
        1.0,
        [
            (
                "H04N19/00",
                "Methods or arrangements for coding, decoding, compressing or decompressing digital video signals",
                ["video stream", "encoded bitstream", "video codec"],
                [
                    (
                        "H04N19/176",
                        "Adaptive coding characterised by the coding unit, the unit being "
                        "an image region, the region being a block, e.g. a macroblock",
                        ["coding block", "macroblock", "block partition", "quantization parameter"],
                    ),
                    (
                        "H04N19/85",
                        "Methods or arrangements for coding digital video signals using "
                        "pre-processing or post-processing specially adapted for video compression",
                        ["in-loop filter", "deblocking filter", "artifact removal", "super-resolution"],
                    ),
                ],
            ),
            (
                "H04N23/00",
                "Cameras or camera modules comprising electronic image sensors; Control thereof",
                ["image sensor", "camera module"],
                [
                    (
                        "H04N23/80",
                        "Camera processing pipelines; Components thereof",
                        ["image signal processor", "demosaicing", "white balance", "exposure setting"],
                    ),
                    (
                        "H04N23/61",
                        "Control of cameras or camera modules based on recognised objects",
                        ["autofocus target", "subject tracking", "region of interest"],
                    ),
                ],
            ),
        ],
    ),
    (
        "A61B",
        "Diagnosis; Surgery; Identification",
        "A61",
        "Medical or veterinary science; hygiene",
        1.5,
        [
            (
                "A61B5/00",
                "Measuring for diagnostic purposes; Identification of persons",
                ["physiological signal", "patient", "wearable sensor"],
                [
                    (
                        "A61B5/7267",
                        "Classification of physiological signals or data, e.g. using "
                        "neural networks, statistical classifiers, expert systems or fuzzy systems",
                        ["physiological data", "health risk score", "diagnostic classifier", "biomarker"],
                    ),
                    (
                        "A61B5/024",
                        "Detecting, measuring or recording pulse rate or heart rate",
                        ["heart rate", "photoplethysmography signal", "pulse waveform", "R-R interval"],
                    ),
                    (
                        "A61B5/369",
                        "Electroencephalography [EEG]",
                        ["EEG signal", "brain activity", "electrode montage", "sleep stage"],
                    ),
                ],
            ),
            (
                "A61B6/00",
                "Apparatus or devices for radiation diagnosis; Apparatus or devices for "
                "radiation diagnosis combined with radiation therapy equipment",
                ["x-ray image", "radiation dose"],
                [
                    (
                        "A61B6/032",
                        "Transmission computed tomography [CT]",
                        ["CT scan", "tomographic reconstruction", "sinogram", "Hounsfield unit"],
                    ),
                    (
                        "A61B6/5217",
                        "Devices using data or image processing specially adapted for "
                        "radiation diagnosis involving extraction of a diagnostic or physiological "
                        "parameter from medical diagnostic data",
                        ["lesion", "medical image", "segmentation mask", "radiology report"],
                    ),
                ],
            ),
            (
                "A61B34/00",
                "Computer-aided surgery; Manipulators or robots specially adapted for use in surgery",
                ["surgical procedure", "surgical instrument"],
                [
                    (
                        "A61B34/10",
                        "Computer-aided planning, simulation or modelling of surgical operations",
                        ["surgical plan", "anatomical model", "implant position", "preoperative scan"],
                    ),
                    (
                        "A61B34/30",
                        "Surgical robots",
                        ["robotic arm", "end effector", "teleoperation console", "haptic feedback"],
                    ),
                ],
            ),
        ],
    ),
    (
        "B60W",
        "Conjoint control of vehicle sub-units of different type or different function; "
        "Control systems specially adapted for hybrid vehicles; Road vehicle drive control "
        "systems for purposes not related to the control of a particular sub-unit",
        "B60",
        "Vehicles in general",
        1.5,
        [
            (
                "B60W30/00",
                "Purposes of road vehicle drive control systems not related to the "
                "control of a particular sub-unit, e.g. of systems using conjoint control of vehicle "
                "sub-units",
                ["host vehicle", "driving maneuver"],
                [
                    (
                        "B60W30/09",
                        "Taking automatic action to avoid collision, e.g. braking and steering",
                        ["collision risk", "emergency braking", "time to collision", "evasive steering"],
                    ),
                    (
                        "B60W30/18163",
                        "Lane change; Overtaking manoeuvres",
                        ["lane change", "adjacent lane", "gap acceptance", "overtaking maneuver"],
                    ),
                ],
            ),
            (
                "B60W60/00",
                "Drive control systems specially adapted for autonomous road vehicles",
                ["autonomous vehicle", "self-driving system"],
                [
                    (
                        "B60W60/001",
                        "Planning or execution of driving tasks",
                        ["trajectory planner", "motion plan", "route segment", "driving policy"],
                    ),
                    (
                        "B60W60/0027",
                        "Planning or execution of driving tasks using trajectory "
                        "prediction for other traffic participants",
                        ["predicted trajectory", "traffic participant", "occupancy grid", "interaction model"],
                    ),
                ],
            ),
            (
                "B60W50/00",
                "Details of control systems for road vehicle drive control not related "
                "to the control of a particular sub-unit",
                ["vehicle controller", "driver"],
                [
                    (
                        "B60W50/14",
                        "Means for informing the driver, warning the driver or prompting a driver intervention",
                        ["driver alert", "takeover request", "driver monitoring camera", "warning chime"],
                    ),
                ],
            ),
        ],
    ),
]


class Code(NamedTuple):
    symbol: str  # "G06N3/084"
    subclass: int  # index into the scheme's subclasses
    main: int  # index (into the scheme's codes) of the main group, itself for a main group
    title: str
    terms: tuple[str, ...]


class Subclass(NamedTuple):
    symbol: str  # "G06N"
    title: str
    klass: str  # "G06"
    class_title: str


class Scheme(NamedTuple):
    """A CPC scheme to draw codes from: codes, topic weights, codes per subclass, codes of each
    code's main group (itself first)."""

    subclasses: list[Subclass]
    codes: list[Code]
    weights: list[float]
    by_subclass: list[list[int]]
    family_of_code: list[list[int]]


def _build_codes() -> Scheme:
    """Flatten HIERARCHY."""
    codes: list[Code] = []
    weights: list[float] = []
    by_subclass: list[list[int]] = []
    by_main: list[list[int]] = []
    for sc_index, (_sc, _sct, _cls, _clst, sc_weight, mains) in enumerate(HIERARCHY):
        members: list[int] = []
        for main_symbol, main_title, main_terms, subgroups in mains:
            main_index = len(codes)
            codes.append(Code(main_symbol, sc_index, main_index, main_title, tuple(main_terms)))
            family = [main_index]
            for sub_symbol, sub_title, sub_terms in subgroups:
                family.append(len(codes))
                codes.append(
                    Code(sub_symbol, sc_index, main_index, sub_title, tuple(sub_terms) + tuple(main_terms[:1]))
                )
            # Zipf-like topic weights inside a main group: earlier subgroups are more common,
            # the main group symbol itself ranks after its first two subgroups.
            order = family[1:3] + family[:1] + family[3:]
            for index in family:  # appended in code order
                rank = order.index(index)
                weights.append(sc_weight / (1.0 + rank) ** 0.7 / len(mains) ** 0.5)
            members.extend(family)
            by_main.append(family)
        by_subclass.append(members)
    main_of: dict[int, list[int]] = {fam[0]: fam for fam in by_main}
    subclasses = [Subclass(sc, sct, cls, clst) for sc, sct, cls, clst, _w, _m in HIERARCHY]
    return Scheme(subclasses, codes, weights, by_subclass, [main_of[c.main] for c in codes])


SMALL_SCHEME = _build_codes()

# The real CPC scheme's shape (2024): 9 sections, about 136 classes, 670 subclasses, 10,500 main
# groups and 250,000 groups in all. Classes per section as in the scheme.
CLASSES_PER_SECTION = {"A": 16, "B": 38, "C": 21, "D": 9, "E": 8, "F": 18, "G": 14, "H": 6, "Y": 6}
SUBCLASSES_PER_CLASS = 5.0
MAINS_PER_SUBCLASS = 16.0
SUBGROUPS_PER_MAIN = 22.0
_SYLLABLES = ("ka", "lo", "mi", "ner", "tus", "ve", "dra", "pol", "sin", "qua", "rho", "zen", "bi", "fel", "gor", "yu")


def _pseudo_word(number: int) -> str:
    """A made-up word, one per number: a scale scheme's code needs a word of its own so that
    patents sharing a subgroup share vocabulary, without writing the code itself into the text."""
    letters = []
    for _ in range(3):
        number, digit = divmod(number, len(_SYLLABLES))
        letters.append(_SYLLABLES[digit])
    while number:
        number, digit = divmod(number, len(_SYLLABLES))
        letters.append(_SYLLABLES[digit])
    return "".join(letters)


def _size(rng: random.Random, mean: float) -> int:
    """A size >= 1, log-normally spread around `mean` (real CPC subdivisions vary by orders of
    magnitude)."""
    sigma = 0.9
    return max(1, round(rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)))


@functools.cache
def realistic_scheme() -> Scheme:
    """A synthetic CPC scheme of the real one's size and shape, with Zipf topic weights at every
    level (a few subclasses, main groups and subgroups take most patents, most subgroups few),
    so that the number of codes in use grows with the number of patents as in PatentsView.
    Titles and words are borrowed from the hand-made HIERARCHY, plus one made-up word per code.
    Fixed (its own seed): the same scheme for every --seed."""
    rng = random.Random(20240101)
    small = SMALL_SCHEME
    main_codes = [c for i, c in enumerate(small.codes) if c.main == i]
    sub_codes = [c for i, c in enumerate(small.codes) if c.main != i]
    subclasses: list[Subclass] = []
    codes: list[Code] = []
    weights: list[float] = []
    by_subclass: list[list[int]] = []
    family_of_code: list[list[int]] = []
    klasses = [(section, number) for section, n in CLASSES_PER_SECTION.items() for number in range(1, n + 1)]
    sc_sizes = [_size(rng, SUBCLASSES_PER_CLASS) for _ in klasses]
    all_subclasses = [
        (section, number, letter)
        for (section, number), size in zip(klasses, sc_sizes, strict=True)
        for letter in "ABCDEFGHJKLMNPQRSTUVWXYZ"[: min(size, 24)]
    ]
    sc_rank = list(range(len(all_subclasses)))
    rng.shuffle(sc_rank)  # popularity does not follow the symbol order
    for sc_index, (section, number, letter) in enumerate(all_subclasses):
        klass = f"{section}{number:02d}"
        symbol = f"{klass}{letter}"
        subclasses.append(Subclass(symbol, f"Subclass {symbol}", klass, f"Class {klass}"))
        sc_weight = 1.0 / (1 + sc_rank[sc_index])
        members: list[int] = []
        n_mains = _size(rng, MAINS_PER_SUBCLASS)
        main_weights = [1.0 / (1 + r) ** 1.1 for r in range(n_mains)]
        rng.shuffle(main_weights)
        main_total = sum(main_weights)
        for m in range(n_mains):
            template = main_codes[rng.randrange(len(main_codes))]
            main_index = len(codes)
            main_symbol = f"{symbol}{1 + 2 * m}/00"
            main_word = _pseudo_word(main_index)
            codes.append(
                Code(main_symbol, sc_index, main_index, f"{template.title} ({main_word})", (*template.terms, main_word))
            )
            family = [main_index]
            n_subs = _size(rng, SUBGROUPS_PER_MAIN)
            for j in range(1, n_subs + 1):
                sub = sub_codes[rng.randrange(len(sub_codes))]
                word = _pseudo_word(len(codes))
                codes.append(
                    Code(
                        f"{symbol}{1 + 2 * m}/{2 * j:02d}",
                        sc_index,
                        main_index,
                        f"{sub.title} ({word})",
                        (*sub.terms, word, main_word),
                    )
                )
                family.append(len(codes) - 1)
            main_weight = sc_weight * main_weights[m] / main_total
            # the main group symbol itself ranks third, as in the hand-made scheme
            ranks = [2] + [r if r < 2 else r + 1 for r in range(n_subs)]
            sub_total = sum(1.0 / (1 + r) for r in ranks)
            weights.extend(main_weight / (1 + r) / sub_total for r in ranks)
            members.extend(family)
            family_of_code.extend(family for _ in family)
        by_subclass.append(members)
    return Scheme(subclasses, codes, weights, by_subclass, family_of_code)


# Column layouts --------------------------------------------------------------------------
PATENT_COLUMNS = [
    "patent_id",
    "patent_type",
    "patent_date",
    "patent_title",
    "wipo_kind",
    "num_claims",
    "withdrawn",
    "filename",
]
LEGACY_PATENT_COLUMNS = [
    "patent_id",
    "patent_type",
    "patent_date",
    "patent_title",
    "patent_abstract",
    "wipo_kind",
    "num_claims",
    "withdrawn",
    "filename",
]
ABSTRACT_COLUMNS = ["patent_id", "patent_abstract"]
CPC_COLUMNS = ["patent_id", "cpc_sequence", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group", "cpc_type"]
CITATION_COLUMNS = [
    "patent_id",
    "citation_sequence",
    "citation_patent_id",
    "citation_date",
    "record_name",
    "wipo_kind",
    "citation_category",
]
CPC_TITLE_COLUMNS = [
    "cpc_subclass",
    "cpc_subclass_title",
    "cpc_group",
    "cpc_group_title",
    "cpc_class",
    "cpc_class_title",
]

TABLES = ("g_patent", "g_patent_abstract", "g_cpc_current", "g_us_patent_citation", "g_cpc_title")

# Time line and id ranges -----------------------------------------------------------------
FIRST_TUESDAY = dt.date(2015, 1, 6)
LAST_TUESDAY = dt.date(2024, 12, 31)
WEEKS = (LAST_TUESDAY - FIRST_TUESDAY).days // 7 + 1  # 522 grant weeks
UTILITY_RANGE = (8_925_000, 12_185_000)
DESIGN_RANGE = (725_000, 1_057_000)
REISSUE_RANGE = (45_300, 50_150)
EXTERNAL_RANGE = (4_000_000, 8_900_000)  # 1976 .. 2014, not loaded
EXTERNAL_DAYS = (dt.date(1976, 1, 6), dt.date(2014, 12, 30))
A_KIND_BELOW = 6_167_000  # kind "A" before 2001

UTILITY, DESIGN, REISSUE = 0, 1, 2
TYPE_NAMES = ("utility", "design", "reissue")
KINDS = ("B1", "B2", "S1", "E", "A")
CATEGORIES = ("cited by applicant", "cited by examiner", "cited by other")
CATEGORY_CUM = (0.55, 0.97, 1.0)
EXTERNAL_SHARE = 0.2

SURNAMES = (
    "Smith",
    "Johnson",
    "Lee",
    "Wang",
    "Kim",
    "Nguyen",
    "Garcia",
    "Müller",
    "Gómez",
    "Tanaka",
    "Suzuki",
    "Chen",
    "Patel",
    "Kumar",
    "Brown",
    "Schmidt",
    "O'Brien",
    "Dubois",
    "Rossi",
    "Novák",
    "Zhang",
    "Liu",
    "Yamamoto",
    "Park",
    "Andersson",
    "Jørgensen",
    "Costa",
    "Silva",
    "Ivanov",
    "Cohen",
    "Fischer",
    "Hughes",
    "Sánchez",
    "Martin",
    "Lefèvre",
    "Kowalski",
    "Nakamura",
    "Singh",
    "Ahmed",
    "Davis",
)

# Text templates --------------------------------------------------------------------------
TITLE_TEMPLATES = (
    "{A} using {b}",
    "System and method for {a}",
    "{A} based on {b}",
    "Method, apparatus, and computer-readable medium for {a} with {c}",
    "Techniques for {a} in {c} applications",
    "{A}, {b}, and {c}",
    "Generating {a} from {b}",
    "Apparatus for {a} and {b}",
    "Systems and methods for improving {a}",
    "Adaptive {a} for {c}",
)
DESIGN_TITLES = (
    "Display screen or portion thereof with graphical user interface for {a}",
    "Display screen with animated icon for {a}",
    "Sensor housing for {a}",
    "Wearable device for {a}",
    "Control panel with {a} indicator",
)
SUBJECTS = (
    "system",
    "method",
    "apparatus",
    "computer-implemented method",
    "device",
    "non-transitory computer-readable medium",
)
OPENERS = (
    "{As} for {a} is disclosed.",
    "Disclosed herein is {as_} for {a}.",
    "Systems and methods are provided for {a} using {b}.",
    "{As} obtains {a} and {b}.",
    "Embodiments relate to {a}, and more particularly to {b}.",
)
MIDDLES = (
    "The {s} receives {a} and determines {b} based at least in part on {c}.",
    "A processor generates {a} from {b}, and the result is compared with a threshold.",
    "In some embodiments, {a} is combined with {c} to improve accuracy, latency, or both.",
    "A model is trained on {b}, and a score is computed for each {a}.",
    "The method further comprises updating {a} in response to a change in {b}.",
    "{A} may be stored in a memory, transmitted to a remote server, or displayed to a user.",
    "Each {a} is associated with {b}, which is used to select {c}.",
    "The {s} identifies {a}, ranks candidates by {b}, and outputs the highest-ranked one.",
)
CLOSERS = (
    "Other embodiments include corresponding computer systems, apparatus, and programs.",
    "The approach reduces computational cost while maintaining performance.",
    "As a result, {a} can be performed efficiently on resource-constrained devices.",
    "Corresponding systems and computer program products are also described.",
)
# (probability, sentence) extras exercising quoting and encoding
EXTRAS = (
    (0.04, 'A so-called "{a}" module then refines the output.'),
    (0.03, "The “{a}” stage runs before the ‘{b}’ stage."),
    (0.02, "A latency below 5 µs and a pixel pitch of 1.2 µm are achieved."),
    (0.02, "A naïve baseline and a Fréchet distance of 0.3 are reported for {a}."),
    (0.01, "Weights are stored under a path such as C:\\models\\{w} and matched by the pattern \\d+\\.\\d+."),
    (0.02, "Values are given in the range 0.5–1.5, e.g. 1,024 × 768 pixels."),
)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def tuesday(week: int) -> dt.date:
    return FIRST_TUESDAY + dt.timedelta(days=7 * week)


def external_date(number: int) -> str:
    """Grant date assigned to an external (not loaded) patent number."""
    lo, hi = EXTERNAL_RANGE
    span = (EXTERNAL_DAYS[1] - EXTERNAL_DAYS[0]).days // 7
    weeks = (number - lo) * span // (hi - lo)
    return (EXTERNAL_DAYS[0] + dt.timedelta(days=7 * weeks)).isoformat()


_NAMES = SURNAMES + tuple(f"{name} et al." for name in SURNAMES)


def record_name(number: int) -> str:
    """Deterministic patentee name for a cited patent number."""
    return _NAMES[(number * 7 + number // 13) % len(SURNAMES) + (len(SURNAMES) if number % 3 else 0)]


def format_id(ptype: int, number: int) -> str:
    if ptype == UTILITY:
        return str(number)
    if ptype == DESIGN:
        return f"D{number}"
    return f"RE{number}"


class TextMaker:
    """Builds titles and abstracts from the word lists of a patent's codes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.random() * len(seq))]

    def _terms(self, primary: Code, secondary: Code) -> tuple[str, str, str]:
        rnd = self.random
        terms = primary.terms
        n = len(terms)
        i = int(rnd() * n)
        j = int(rnd() * (n - 1))
        if j >= i:
            j += 1
        return terms[i], terms[j % n], self.pick(secondary.terms)

    def title(self, ptype: int, primary: Code, secondary: Code) -> str:
        a, b, c = self._terms(primary, secondary)
        if ptype == DESIGN:
            return self.pick(DESIGN_TITLES).format(a=a)
        template = self.pick(TITLE_TEMPLATES)
        title = template.format(A=_cap(a), a=a, b=b, c=c)
        if self.random() < 0.01:
            title += f' with "{c}" support'
        return title

    def abstract(self, primary: Code, secondary: Code) -> str:
        rnd = self.random
        s = self.pick(SUBJECTS)
        a, b, c = self._terms(primary, secondary)
        as_ = ("an " if s[0] in "aeiou" else "a ") + s
        parts = [self.pick(OPENERS).format(s=s, as_=as_, As=_cap(as_), a=a, b=b)]
        first = int(rnd() * len(MIDDLES))
        count = 1 + int(rnd() * 3)
        for template in (MIDDLES * 2)[first : first + count]:
            x, y, z = self._terms(primary, secondary)
            parts.append(template.format(s=s, a=x, A=_cap(x), b=y, c=z))
        for probability, template in EXTRAS:
            if rnd() < probability:
                parts.append(template.format(a=a, b=b, w=a.split()[0]))
        parts.append(self.pick(CLOSERS).format(a=a))
        return " ".join(parts)


class Output:
    """Opens the .tsv (or .tsv.zip) files and counts lines per file."""

    def __init__(self, out: Path, use_zip: bool, big: bool, stack: ExitStack) -> None:
        self.out = out
        self.use_zip = use_zip
        self.big = big
        self.stack = stack
        self.handles: dict[str, IO[str]] = {}
        self.writers: dict[str, _csv.Writer] = {}
        self.lines: dict[str, int] = {}

    def open(self, name: str, columns: Sequence[str]) -> None:
        member = f"{name}.tsv"
        if self.use_zip:
            archive = self.stack.enter_context(zipfile.ZipFile(self.out / f"{member}.zip", "w", zipfile.ZIP_DEFLATED))
            # fixed timestamp: the archive bytes depend on the options only
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            # fast deflate (level 1): ZipInfo.compress_level (3.13+), _compresslevel before
            try:
                info.compress_level = 1  # type: ignore[attr-defined]
            except AttributeError:
                info._compresslevel = 1  # type: ignore[attr-defined]
            info.external_attr = 0o644 << 16
            raw = self.stack.enter_context(archive.open(info, "w", force_zip64=self.big))
            handle: IO[str] = self.stack.enter_context(
                io.TextIOWrapper(io.BufferedWriter(raw, 1 << 20), encoding="utf-8", newline="")
            )
        else:
            handle = self.stack.enter_context(
                open(self.out / member, "w", encoding="utf-8", newline="", buffering=1 << 20)
            )
        self.handles[name] = handle
        self.writers[name] = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        self.lines[name] = 0
        self.row(name, list(columns))

    def row(self, name: str, fields: list) -> None:
        self.writers[name].writerow(fields)
        self.lines[name] += 1

    def raw(self, name: str, line: str) -> int:
        """Write a pre-formatted (possibly malformed) line; return its line number."""
        self.handles[name].write(line + "\n")
        self.lines[name] += 1
        return self.lines[name]


class Broken(NamedTuple):
    file: str
    line: int
    kind: str
    reason: str


def _q(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def broken_patent_rows(legacy: bool, date: str) -> list[tuple[str, str, str]]:
    """Malformed g_patent lines: (kind, reason, line text)."""
    filename = _q("ipg" + date[2:4] + date[5:7] + date[8:10] + ".xml")
    ncols = 9 if legacy else 8

    def line(pid: str, title: str, day: str = date, drop_last: bool = False) -> str:
        fields = [_q(pid), _q("utility"), _q(day), title]
        if legacy:
            fields.append(_q("An abstract."))
        fields += [_q("B2"), "12", "0", filename]
        if drop_last:
            fields.pop()
        return "\t".join(fields)

    return [
        (
            "column_count",
            f"{ncols - 1} fields instead of {ncols} (filename missing)",
            line("99990001", _q("Row with a missing column"), drop_last=True),
        ),
        (
            "broken_quote",
            "unescaped double quote inside a quoted field (strict csv: "
            f"'\\t' expected after '\"'; lenient parsers split it into {ncols + 1} fields)",
            line("99990002", '"Title with an "unescaped\t"quote"'),
        ),
        (
            "bad_date",
            "patent_date 2021-13-45 is not a valid date",
            line("99990003", _q("Row with an impossible date"), day="2021-13-45"),
        ),
        ("empty_patent_id", "patent_id is empty", line("", _q("Row without a patent id"))),
    ]


def broken_cpc_rows(pid: str) -> list[tuple[str, str, str]]:
    return [
        (
            "bad_cpc_group",
            "cpc_group G0?N3/x is not a CPC symbol",
            "\t".join([_q(pid), "99", _q("G"), _q("G06"), _q("G06N"), _q("G0?N3/x"), _q("additional")]),
        ),
        (
            "column_count",
            "6 fields instead of 7 (cpc_type missing)",
            "\t".join([_q(pid), "98", _q("G"), _q("G06"), _q("G06N"), _q("G06N3/08")]),
        ),
        (
            "empty_patent_id",
            "patent_id is empty",
            "\t".join([_q(""), "0", _q("G"), _q("G06"), _q("G06N"), _q("G06N3/08"), _q("inventional")]),
        ),
    ]


def broken_citation_rows(pid: str) -> list[tuple[str, str, str]]:
    return [
        (
            "bad_date",
            "citation_date 2021-13-45 is not a valid date",
            "\t".join(
                [_q(pid), "99", _q("8123456"), _q("2021-13-45"), _q("Smith et al."), _q("B2"), _q("cited by examiner")]
            ),
        ),
        (
            "column_count",
            "8 fields instead of 7 (extra trailing field)",
            "\t".join(
                [
                    _q(pid),
                    "98",
                    _q("8123457"),
                    _q("2010-05-04"),
                    _q("Lee"),
                    _q("B2"),
                    _q("cited by applicant"),
                    _q("extra"),
                ]
            ),
        ),
        (
            "broken_quote",
            "unescaped double quote inside a quoted field (strict csv: "
            "'\\t' expected after '\"'; lenient parsers split it into 8 fields)",
            "\t".join(
                [_q(pid), "97", _q("8123458"), _q("2011-02-01"), '"Smith "Jr\t"et al."', _q("B2"), _q("cited by other")]
            ),
        ),
    ]


def generate(
    out: Path,
    patents: int = 2000,
    seed: int = 7,
    use_zip: bool = False,
    legacy_abstract: bool = False,
    broken: bool = False,
    realistic: bool = False,
) -> dict[str, int]:
    """Write the tables into ``out``; return row counts and citation statistics. `realistic`:
    draw from a CPC scheme of the real size (`realistic_scheme`), with heavy-tailed code and
    citation counts per patent and preferential attachment of citations (for scale runs)."""
    if patents < 1:
        raise ValueError("patents must be >= 1")
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:  # remove stale tables of an earlier run (other layout or --zip)
        for suffix in (".tsv", ".tsv.zip"):
            (out / f"{table}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    rnd = rng.random
    text = TextMaker(rng)
    scheme = realistic_scheme() if realistic else SMALL_SCHEME
    all_codes, subclasses = scheme.codes, scheme.subclasses

    n = patents
    steps = {
        UTILITY: max(1.0, (UTILITY_RANGE[1] - UTILITY_RANGE[0]) / (n * 0.935)),
        DESIGN: max(1.0, (DESIGN_RANGE[1] - DESIGN_RANGE[0]) / (n * 0.055 + 1)),
        REISSUE: max(1.0, (REISSUE_RANGE[1] - REISSUE_RANGE[0]) / (n * 0.01 + 1)),
    }
    starts = {UTILITY: UTILITY_RANGE[0], DESIGN: DESIGN_RANGE[0], REISSUE: REISSUE_RANGE[0]}
    counters = {UTILITY: 0, DESIGN: 0, REISSUE: 0}

    # Per-patent facts needed later by citations (compact arrays, no strings).
    p_type = array("b")
    p_num = array("l")
    p_week = array("h")
    p_kind = array("b")
    # Patents granted in earlier weeks, by code and by subclass (indices into the arrays).
    by_code = [array("l") for _ in all_codes]
    by_subclass = [array("l") for _ in subclasses]
    cited_log = array("l")  # every internal citation's target so far (realistic: preferential attachment)
    committed = 0  # patents 0..committed-1 are citable (earlier weeks)
    pending: list[tuple[int, list[int]]] = []
    used = bytearray(len(all_codes))
    ext_pool = max(30, n // 40)

    week_dates = [tuesday(w).isoformat() for w in range(WEEKS)]
    week_files = [f"ipg{d[2:4]}{d[5:7]}{d[8:10]}.xml" for d in week_dates]
    cum_weights: list[float] = []
    total = 0.0
    for w in scheme.weights:
        total += w
        cum_weights.append(total)
    last_code = len(all_codes) - 1

    def topic() -> int:
        return min(bisect_right(cum_weights, rnd() * total), last_code)

    ncodes_cum = (15, 40, 65, 82, 92, 100)  # 1..6 codes per patent, in percent
    max_tries = 100 if realistic else 20
    ext_cache: dict[int, tuple[str, str, str, str]] = {}

    broken_rows: list[Broken] = []
    broken_at_patent = {max(0, n // 3), max(0, (2 * n) // 3), n - 1}
    patent_breaks = sorted({1 % n, n // 4, n // 2, (3 * n) // 4})

    with ExitStack() as stack:
        files = Output(out, use_zip, n > 1_000_000, stack)
        files.open("g_patent", LEGACY_PATENT_COLUMNS if legacy_abstract else PATENT_COLUMNS)
        if not legacy_abstract:
            files.open("g_patent_abstract", ABSTRACT_COLUMNS)
        files.open("g_cpc_current", CPC_COLUMNS)
        files.open("g_us_patent_citation", CITATION_COLUMNS)
        patent_row = files.writers["g_patent"].writerow
        abstract_row = None if legacy_abstract else files.writers["g_patent_abstract"].writerow
        cpc_rows_write = files.writers["g_cpc_current"].writerows
        cite_rows_write = files.writers["g_us_patent_citation"].writerows
        n_patent = n_abstract = n_cpc = n_cite = n_internal = n_external = 0

        def flush() -> None:
            nonlocal committed
            for index, codes in pending:
                seen_sc: list[int] = []
                for c in codes:
                    by_code[c].append(index)
                    sc = all_codes[c].subclass
                    if sc not in seen_sc:
                        seen_sc.append(sc)
                        by_subclass[sc].append(index)
            committed += len(pending)
            pending.clear()

        current_week = -1
        for i in range(n):
            week = i * WEEKS // n
            if week != current_week:
                flush()
                current_week = week
            # --- patent facts
            r = rnd()
            ptype = UTILITY if r < 0.935 else DESIGN if r < 0.99 else REISSUE
            step = steps[ptype]
            k = counters[ptype]
            counters[ptype] = k + 1
            number = starts[ptype] + int(k * step) + rng.randrange(int(step))
            pid = format_id(ptype, number)
            if ptype == UTILITY:
                kind = 1 if rnd() < 0.8 else 0
                claims = min(60, max(1, int(rng.gauss(18, 7))))
                withdrawn = 1 if rnd() < 0.003 else 0
            elif ptype == DESIGN:
                kind, claims, withdrawn = 2, 1, 0
            else:
                kind, claims, withdrawn = 3, rng.randint(4, 40), 0
            p_type.append(ptype)
            p_num.append(number)
            p_week.append(week)
            p_kind.append(kind)

            # --- CPC codes: 1-6, first one is the topic
            primary = topic()
            if realistic:  # PatentsView: about 5 codes a patent, a few patents with dozens
                ncodes = min(40, 1 + int(rng.expovariate(0.25)))
            else:
                ncodes = 1 + bisect_right(ncodes_cum, rnd() * 100)
            codes = [primary]
            tries = 0
            while len(codes) < ncodes and tries < max_tries:
                tries += 1
                r = rnd()
                if r < 0.45:
                    family = scheme.family_of_code[primary]
                    c = family[int(rnd() * len(family))]
                elif r < 0.75:
                    members = scheme.by_subclass[all_codes[primary].subclass]
                    c = members[int(rnd() * len(members))]
                else:
                    c = topic()
                if c not in codes:
                    codes.append(c)
            secondary = all_codes[codes[1]] if len(codes) > 1 else all_codes[primary]

            # --- text
            title = text.title(ptype, all_codes[primary], secondary)
            abstract = "" if ptype == DESIGN else text.abstract(all_codes[primary], secondary)
            date = week_dates[week]
            if abstract_row is None:  # legacy layout: the abstract is a column of g_patent
                patent_row(
                    [pid, TYPE_NAMES[ptype], date, title, abstract, KINDS[kind], claims, withdrawn, week_files[week]]
                )
            else:
                patent_row([pid, TYPE_NAMES[ptype], date, title, KINDS[kind], claims, withdrawn, week_files[week]])
                if abstract:
                    abstract_row([pid, abstract])
                    n_abstract += 1
            n_patent += 1

            cpc_rows = []
            for seq, c in enumerate(codes):
                code = all_codes[c]
                used[c] = 1
                sc = subclasses[code.subclass]
                ctype = "inventional" if seq == 0 or rnd() < 0.3 else "additional"
                cpc_rows.append([pid, seq, sc.symbol[0], sc.klass, sc.symbol, code.symbol, ctype])
            cpc_rows_write(cpc_rows)
            n_cpc += len(codes)

            # --- citations: 5-15 distinct (realistic: median 9, mean about 13, up to 400), to earlier weeks
            ncites = min(400, 1 + int(rng.lognormvariate(2.1, 0.9))) if realistic else 5 + int(rnd() * 11)
            cited: list[int] = []  # internal: index >= 0; external: -number
            attempts = 0
            while len(cited) < ncites and attempts < ncites * 4:
                attempts += 1
                r = rnd()
                target = None
                if realistic and r >= EXTERNAL_SHARE and cited_log and rnd() < 0.35:
                    # cite what others cite: a few patents gather thousands of citations
                    target = cited_log[int(rnd() * len(cited_log))]
                elif r >= EXTERNAL_SHARE and committed:
                    code_for_cite = primary if rnd() < 0.7 else codes[int(rnd() * len(codes))]
                    if r < 0.6:
                        pool = by_code[code_for_cite]
                    elif r < 0.85:
                        pool = by_subclass[all_codes[code_for_cite].subclass]
                    else:
                        pool = None
                    size = len(pool) if pool is not None else committed
                    if size:
                        pos = int(size * (1.0 - rnd() ** 2))
                        pos = min(pos, size - 1)
                        target = pool[pos] if pool is not None else pos
                if target is None:
                    sc_index = all_codes[primary].subclass
                    j = int(rnd() * ext_pool)
                    span = EXTERNAL_RANGE[1] - EXTERNAL_RANGE[0]
                    ext = EXTERNAL_RANGE[0] + (sc_index * 1_000_003 + j * 7_919_009 + 12_345) % span
                    target = -ext
                if target not in cited:
                    cited.append(target)
            cite_rows = []
            for seq, target in enumerate(cited):
                if target >= 0:
                    tnum = p_num[target]
                    if realistic:
                        cited_log.append(target)
                    cid = format_id(p_type[target], tnum)
                    cdate = week_dates[p_week[target]]
                    name = record_name(tnum)
                    ckind = KINDS[p_kind[target]]
                    n_internal += 1
                else:
                    tnum = -target
                    cached = ext_cache.get(tnum)
                    if cached is None:
                        cached = ext_cache[tnum] = (
                            str(tnum),
                            external_date(tnum),
                            record_name(tnum),
                            "A" if tnum < A_KIND_BELOW else ("B1" if tnum % 5 == 0 else "B2"),
                        )
                    cid, cdate, name, ckind = cached
                    n_external += 1
                r = rnd()
                category = CATEGORIES[0 if r < CATEGORY_CUM[0] else 1 if r < CATEGORY_CUM[1] else 2]
                cite_rows.append([pid, seq, cid, cdate, name, ckind, category])
            cite_rows_write(cite_rows)
            n_cite += len(cited)
            files.lines["g_patent"] += 1
            files.lines["g_cpc_current"] += len(codes)
            files.lines["g_us_patent_citation"] += len(cited)
            if not legacy_abstract and abstract:
                files.lines["g_patent_abstract"] += 1

            pending.append((i, codes))

            # --- malformed rows
            if broken:
                if i in patent_breaks:
                    for kind_name, reason, line in broken_patent_rows(legacy_abstract, date)[
                        patent_breaks.index(i) :: len(patent_breaks)
                    ]:
                        lineno = files.raw("g_patent", line)
                        broken_rows.append(Broken("g_patent.tsv", lineno, kind_name, reason))
                if i in broken_at_patent:
                    slot = sorted(broken_at_patent).index(i)
                    for name, maker in (
                        ("g_cpc_current", broken_cpc_rows),
                        ("g_us_patent_citation", broken_citation_rows),
                    ):
                        rows = maker(pid)
                        # spread the rows over the insertion points (all rows are written
                        # even when the points collapse for a tiny --patents)
                        for kind_name, reason, line in rows[slot :: len(broken_at_patent)]:
                            lineno = files.raw(name, line)
                            broken_rows.append(Broken(f"{name}.tsv", lineno, kind_name, reason))
        flush()

        # --- CPC titles for the groups used (plus their main groups)
        for c, flag in enumerate(used):
            if flag:
                used[all_codes[c].main] = 1
        files.open("g_cpc_title", CPC_TITLE_COLUMNS)
        n_title = 0
        for c, flag in enumerate(used):
            if not flag:
                continue
            code = all_codes[c]
            sc = subclasses[code.subclass]
            files.row("g_cpc_title", [sc.symbol, sc.title, code.symbol, code.title, sc.klass, sc.class_title])
            n_title += 1

    if broken:
        with open(out / "BROKEN.txt", "w", encoding="utf-8", newline="") as fh:
            fh.write("file\tline\tkind\treason\n")
            for b in sorted(broken_rows, key=lambda b: (b.file, b.line)):
                fh.write(f"{b.file}\t{b.line}\t{b.kind}\t{b.reason}\n")
    else:
        (out / "BROKEN.txt").unlink(missing_ok=True)

    stats = {
        "internal_citations": n_internal,
        "external_citations": n_external,
        "g_patent": n_patent,
        "g_patent_abstract": n_abstract,
        "g_cpc_current": n_cpc,
        "g_us_patent_citation": n_cite,
        "g_cpc_title": n_title,
        "broken_rows": len(broken_rows),
    }
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic PatentsView bulk-download .tsv files.")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--patents", type=int, default=2000, help="number of patents (2000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument("--zip", action="store_true", help="write <table>.tsv.zip files")
    parser.add_argument(
        "--legacy-abstract", action="store_true", help="patent_abstract column inside g_patent, no g_patent_abstract"
    )
    parser.add_argument("--broken", action="store_true", help="inject malformed rows and list them in BROKEN.txt")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="a CPC scheme of the real size (250,000 groups) and heavy-tailed code and citation counts (scale runs)",
    )
    args = parser.parse_args(argv)
    if args.patents < 1:
        parser.error("--patents must be >= 1")
    stats = generate(
        args.out,
        patents=args.patents,
        seed=args.seed,
        use_zip=args.zip,
        legacy_abstract=args.legacy_abstract,
        broken=args.broken,
        realistic=args.realistic,
    )
    total = stats["internal_citations"] + stats["external_citations"]
    for key, value in stats.items():
        print(f"{key}: {value}", file=sys.stderr)
    if total:
        print(f"external_citation_share: {stats['external_citations'] / total:.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
