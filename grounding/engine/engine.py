"""SceneQueryEngine: encode a scene once, then answer grounding queries and questions against it cheaply.

The scene side (object tokens, and per view the fusion's keys, values and relation biases) is computed
when the scene is set and kept until it changes; a query then costs the text encoder (skipped for a
repeated text, whose encoding is cached) and the text side of the fusion.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grounding.calibration.decision import Decision, decide
from grounding.calibration.params import CalibrationParams, calibration_path
from grounding.engine.attention import capture_word_queries, has_word_object_attention, word_object_attention
from grounding.engine.clarify import clarifying_question
from grounding.engine.errors import CheckpointError, GroundingError, NoSceneError
from grounding.engine.facts import ObjectFacts, facts_from_proposals
from grounding.engine.lru import LRUCache
from grounding.engine.quantize import INT8_KEEP_FP32, INT8_SUBMODULES, quantize_linear_int8
from grounding.engine.query import MAX_QUERY_CHARS, validate_query
from grounding.engine.results import Anchor, AnswerResult, Candidate, Evidence, GroundingResult
from grounding.engine.scene_source import SceneLike, proposals_from
from grounding.engine.view import as_query_view
from grounding.model.checkpoint import default_checkpoint_dir, load_model
from grounding.model.grounding_model import GroundingModel
from grounding.model.outputs import GroundingOutput, ObjectEncoding, SceneEncoding
from grounding.model.scene_input import SceneInput
from grounding.model.view import QueryView
from grounding.text.encoder import TextEncoding
from perception import ObjectProposal


@dataclass
class EngineConfig:
    """How the engine caches, reports and runs."""

    device: str = "cpu"
    """Torch device of the model."""
    cache: bool = True
    """Keep the encoded scene and text encodings between queries; False re-encodes everything per query
    (the uncached reference of the latency benchmark)."""
    text_cache_size: int = 512
    """Most text encodings kept (least recently used dropped first); 0 disables the text cache."""
    view_cache_size: int = 8
    """Most views whose scene-side fusion cache is kept per scene."""
    max_query_chars: int = MAX_QUERY_CHARS
    """Longest accepted query in characters."""
    num_runner_ups: int = 3
    """Runner-up candidates reported with each result."""
    max_anchors: int = 3
    """Most anchor objects reported in the evidence."""
    anchor_min_share: float = 1.5
    """An object is an anchor when it draws at least this multiple of the uniform attention share 1/N."""
    qa_top_k: int = 10
    """Answers listed in ``AnswerResult.top_answers``."""
    int8: bool = False
    """Run the text encoder's Linear layers as dynamic int8: a new query's text is encoded about 1.7x faster
    on CPU (the bench's text_int8 row). The object encoder, fusion and heads stay fp32, since the text encoder is
    where a cached query's time goes."""

    def __post_init__(self) -> None:
        for name in ("text_cache_size", "num_runner_ups", "max_anchors"):
            if getattr(self, name) < 0:
                raise GroundingError(f"EngineConfig.{name}: expected >= 0, got {getattr(self, name)}")
        for name in ("view_cache_size", "max_query_chars", "qa_top_k"):
            if getattr(self, name) < 1:
                raise GroundingError(f"EngineConfig.{name}: expected >= 1, got {getattr(self, name)}")
        if self.anchor_min_share < 0:
            raise GroundingError(f"EngineConfig.anchor_min_share: expected >= 0, got {self.anchor_min_share}")


@dataclass
class EngineStats:
    """Counters of the engine's caches."""

    scene_version: int
    """Bumped by every scene change."""
    scene_encodes: int
    """Times the point/object encoder ran over a whole scene."""
    view_encodes: int
    """Times the fusion's scene side was computed for a (scene, view)."""
    text_hits: int
    """Queries whose text encoding came from the cache."""
    text_misses: int
    """Queries whose text was encoded."""


def resolve_checkpoint(checkpoint: str | Path | None) -> Path:
    """The checkpoint folder: the shipped one for None, a folder as given, a ``.safetensors`` file's folder.

    Anything else (a ``.pt``/``.bin`` pickle, a missing path) raises CheckpointError: only safetensors load.
    """
    if checkpoint is None:
        return default_checkpoint_dir()
    p = Path(checkpoint)
    if p.is_dir():
        return p
    if p.is_file() and p.suffix == ".safetensors":
        return p.parent
    raise CheckpointError(
        f"checkpoint: expected a checkpoint folder or its .safetensors file, got {str(p)!r}"
        + ("" if p.exists() else " (does not exist)")
    )


class SceneQueryEngine:
    """Answers ``ground(text)`` and ``ask(question)`` against one scene, encoded once and cached.

    Typical use::

        engine = SceneQueryEngine.from_checkpoint()          # the shipped model and its calibration
        engine.set_scene(proposals)                          # or a PointCloud, or RGBDFrame(s)
        engine.ground("the red mug left of the laptop").to_json()
        engine.ask("how many chairs are at the table?")
    """

    def __init__(
        self,
        model: GroundingModel,
        calibration: CalibrationParams | None = None,
        config: EngineConfig | None = None,
        perception: Any = None,
    ) -> None:
        """``model`` in any mode (switched to eval); ``calibration`` None means uncalibrated (T = 1, no
        thresholds); ``perception`` turns clouds and frames into proposals (see ``scene_source``)."""
        self.config = config or EngineConfig()
        self.calibration = calibration or CalibrationParams()
        model = model.to(self.config.device).eval()
        if self.config.int8:
            model = quantize_linear_int8(model, INT8_SUBMODULES, INT8_KEEP_FP32)  # type: ignore[assignment]
        self.model: GroundingModel = model
        self.perception = perception
        self._ids = itertools.count()
        self._text_cache: LRUCache[TextEncoding] = LRUCache(self.config.text_cache_size if self.config.cache else 0)
        self._view_cache: LRUCache[SceneEncoding] = LRUCache(self.config.view_cache_size)
        self._objects: ObjectEncoding | None = None
        self._scene_input: SceneInput | None = None
        self._proposals: list[ObjectProposal] = []
        self._facts: dict[int, ObjectFacts] = {}
        self._fingerprint = ""
        self._version = 0
        self._has_scene = False
        self._scene_encodes = 0
        self._view_encodes = 0

    @classmethod
    def from_checkpoint(
        cls, checkpoint: str | Path | None = None, config: EngineConfig | None = None, perception: Any = None
    ) -> SceneQueryEngine:
        """An engine over a checkpoint folder (``model.safetensors`` + ``config.json``, and
        ``calibration.json`` when it has been calibrated); None loads the shipped default checkpoint."""
        folder = resolve_checkpoint(checkpoint)
        cfg = config or EngineConfig()
        model = load_model(folder, cfg.device)
        cal_file = calibration_path(folder)
        calibration = CalibrationParams.load(cal_file) if cal_file.is_file() else None
        return cls(model, calibration, cfg, perception)

    # --- scene -------------------------------------------------------------------------------------

    @property
    def scene_version(self) -> int:
        """Version of the current scene; every change bumps it (0 before the first)."""
        return self._version

    @property
    def facts(self) -> dict[int, ObjectFacts]:
        """Facts (label, colour, support, box) of each object of the scene, by object id."""
        return dict(self._facts)

    def set_scene(
        self,
        scene: SceneLike,
        metadata: Mapping[int, Mapping[str, Any]] | None = None,
        image_features: Mapping[int, np.ndarray] | None = None,
        scene_id: str = "",
    ) -> int:
        """Replace the scene and encode it; returns the new scene version.

        ``scene``: a list of ``ObjectProposal`` or a coloured ``PointCloud`` / ``RGBDFrame``(s) in the world
        frame (those go through perception). ``metadata``: known facts per object id (``label``, ``color``,
        ``support_id``, as in objects.json). ``image_features``: pooled camera-ViT feature per object id.
        """
        proposals = proposals_from(scene, self.perception)
        self._install(proposals, metadata, image_features, scene_id)
        return self._version

    def update_scene(
        self,
        scene: SceneLike,
        metadata: Mapping[int, Mapping[str, Any]] | None = None,
        image_features: Mapping[int, np.ndarray] | None = None,
        scene_id: str = "",
    ) -> int:
        """Like ``set_scene``, but a scene identical to the current one (same ids, points, colours, boxes,
        metadata) keeps its caches and version, so a perception node republishing an unchanged scene
        costs nothing. Returns the scene version."""
        proposals = proposals_from(scene, self.perception)
        if self._has_scene and _fingerprint(proposals, metadata, image_features) == self._fingerprint:
            return self._version
        self._install(proposals, metadata, image_features, scene_id)
        return self._version

    def _install(
        self,
        proposals: list[ObjectProposal],
        metadata: Mapping[int, Mapping[str, Any]] | None,
        image_features: Mapping[int, np.ndarray] | None,
        scene_id: str,
    ) -> None:
        ids = [int(p.object_id) for p in proposals]
        if len(set(ids)) != len(ids):
            raise GroundingError(f"scene: expected unique object ids, got {sorted(ids)}")
        self._proposals = proposals
        self._facts = facts_from_proposals(proposals, metadata)
        self._scene_input = (
            SceneInput.from_proposals(proposals, image_features, scene_id=scene_id) if proposals else None
        )
        self._fingerprint = _fingerprint(proposals, metadata, image_features)
        self._objects = None
        self._view_cache.clear()
        self._version += 1
        self._has_scene = True
        if self.config.cache and self._scene_input is not None:
            self._scene_encoding(None)  # encode once now, so the first query pays only for the text

    def _scene_encoding(self, view: QueryView | None) -> SceneEncoding:
        assert self._scene_input is not None
        if not self.config.cache:
            self._scene_encodes += 1
            self._view_encodes += 1
            return self.model.encode_scene(self._scene_input, view)
        key = _view_key(view)
        cached = self._view_cache.get(key)
        if cached is not None:
            return cached
        if self._objects is None:
            self._objects = self.model.encode_objects(self._scene_input)
            self._scene_encodes += 1
        encoding = self.model.attach_view(self._objects, view)
        self._view_encodes += 1
        self._view_cache.put(key, encoding)
        return encoding

    # --- text --------------------------------------------------------------------------------------

    def _text_encoding(self, texts: Sequence[str]) -> TextEncoding:
        """(B, L, C) encodings of ``texts``, from the cache where possible; new ones are encoded in one batch."""
        found: dict[str, TextEncoding] = {}
        for t in dict.fromkeys(texts):
            hit = self._text_cache.get(t)
            if hit is not None:
                found[t] = hit
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = self.model.encode_text(missing)
            for i, t in enumerate(missing):
                row = fresh.select(torch.tensor([i]))
                n = int(row.mask.sum())  # trim the batch padding so rows stack with any other batch
                found[t] = TextEncoding(row.tokens[:, :n], row.mask[:, :n], row.pooled)
                self._text_cache.put(t, found[t])
        return TextEncoding.cat([found[t] for t in texts])

    # --- queries -----------------------------------------------------------------------------------

    def _run(self, texts: list[str], view: QueryView | None) -> tuple[GroundingOutput, torch.Tensor | None]:
        """Model outputs for B texts against the scene, and the (B, N) word -> object attention or None."""
        with torch.no_grad():
            scene = self._scene_encoding(view)
            text = self._text_encoding(texts)
            if not has_word_object_attention(self.model.fusion):
                return self.model.query(text, scene), None
            with capture_word_queries(self.model.fusion) as queries:
                out = self.model.query(text, scene)
            attention = word_object_attention(
                queries, scene, text.mask.to(scene.memory.mask.device), self.model.config.num_heads
            )
        return out, attention

    def _prepare(self, texts: Sequence[object], view: Any) -> tuple[list[str], QueryView | None]:
        clean = [validate_query(t, self.config.max_query_chars) for t in texts]
        if not self._has_scene:
            raise NoSceneError("query: expected a scene (call set_scene first), got none")
        return clean, as_query_view(view)

    def ground(self, text: str | bytes, view: Any = None, request_id: str | None = None) -> GroundingResult:
        """Which object ``text`` refers to, seen from ``view`` (None, {"position", "look_at"}, a QueryView or a
        (4, 4) T_world_cam). Raises QueryError for an invalid text, NoSceneError before ``set_scene``."""
        return self.ground_batch([text], view, None if request_id is None else [request_id])[0]

    def ground_batch(
        self, texts: Sequence[str | bytes], view: Any = None, request_ids: Sequence[str] | None = None
    ) -> list[GroundingResult]:
        """``ground`` for B texts from one view in one model call; each result's latency is its share."""
        return self.ground_batch_with_outputs(texts, view, request_ids)[0]

    def ground_batch_with_outputs(
        self, texts: Sequence[str | bytes], view: Any = None, request_ids: Sequence[str] | None = None
    ) -> tuple[list[GroundingResult], GroundingOutput | None]:
        """``ground_batch`` plus the model's raw outputs (None for an empty scene), for evaluation."""
        start = time.perf_counter()
        clean, qview = self._prepare(texts, view)
        ids = self._request_ids(len(clean), request_ids)
        out = None
        if self._scene_input is None:
            empty = np.ones(1)  # only "none": an empty scene
            results = [
                self._grounding_result(rid, t, decide(empty, 0.0, 0.0), [], None, qview)
                for rid, t in zip(ids, clean, strict=True)
            ]
        else:
            out, attention = self._run(clean, qview)
            logits = out.grounding.logits_with_none().double().cpu()  # (B, N + 1)
            probs = torch.softmax(logits / self.calibration.temperature, dim=-1).numpy()
            object_ids = [int(i) for i in out.object_ids[0].cpu()]
            results = []
            for b, (rid, t) in enumerate(zip(ids, clean, strict=True)):
                d = decide(probs[b], self.calibration.not_found_threshold, self.calibration.ambiguity_margin)
                if attention is not None:
                    att = attention[b].cpu().numpy()
                else:  # late and early fusion have no word -> object attention: use the evidence gate
                    ev = torch.sigmoid(out.answer.evidence_logits[b].double().cpu()).numpy()
                    att = ev / max(float(ev.sum()), 1e-9)
                results.append(self._grounding_result(rid, t, d, object_ids, att, qview))
        share = (time.perf_counter() - start) * 1000.0 / max(len(results), 1)
        for r in results:
            r.latency_ms = share
        return results, out

    def clear_text_cache(self) -> None:
        """Forget cached text encodings (e.g. to time the text encoder)."""
        self._text_cache.clear()

    def ask(self, question: str | bytes, view: Any = None, request_id: str | None = None) -> AnswerResult:
        """Answer ``question`` about the scene from ``view``; errors as for ``ground``."""
        return self.ask_batch([question], view, None if request_id is None else [request_id])[0]

    def ask_batch(
        self, questions: Sequence[str | bytes], view: Any = None, request_ids: Sequence[str] | None = None
    ) -> list[AnswerResult]:
        """``ask`` for B questions from one view in one model call."""
        start = time.perf_counter()
        clean, qview = self._prepare(questions, view)
        ids = self._request_ids(len(clean), request_ids)
        results: list[AnswerResult] = []
        if self._scene_input is None:
            results = [
                AnswerResult(rid, q, "not_found", scene_version=self._version)
                for rid, q in zip(ids, clean, strict=True)
            ]
        else:
            out, _ = self._run(clean, qview)
            probs = torch.softmax(out.answer.answer_logits.double().cpu(), dim=-1).numpy()  # (B, A)
            gates = torch.sigmoid(out.answer.evidence_logits.double().cpu()).numpy()  # (B, N)
            object_ids = [int(i) for i in out.object_ids[0].cpu()]
            vocab = self.model.answer_vocab
            for b, (rid, q) in enumerate(zip(ids, clean, strict=True)):
                top = np.argsort(-probs[b], kind="stable")[: self.config.qa_top_k]
                tops = [(vocab[i], float(probs[b, i])) for i in top if i < len(vocab)]
                ev = [int(n) for n in np.argsort(-gates[b], kind="stable") if gates[b, n] > 0.5]
                best, conf = tops[0] if tops else (None, 0.0)
                answered = best is not None and conf >= self.calibration.answer_threshold
                results.append(
                    AnswerResult(
                        request_id=rid,
                        question=q,
                        status="answered" if answered else "not_found",
                        answer=best if answered else None,
                        confidence=conf,
                        top_answers=tops,
                        evidence_object_ids=[object_ids[n] for n in ev],
                        evidence_boxes=[self._facts[object_ids[n]].box for n in ev],
                        scene_version=self._version,
                    )
                )
        share = (time.perf_counter() - start) * 1000.0 / max(len(results), 1)
        for r in results:
            r.latency_ms = share
        return results

    def raw_outputs(self, texts: Sequence[str], view: Any = None) -> GroundingOutput:
        """The model's raw outputs for B validated texts on the current scene (for evaluation)."""
        clean, qview = self._prepare(texts, view)
        if self._scene_input is None:
            raise NoSceneError("raw_outputs: expected a scene with at least one object, got an empty one")
        return self._run(clean, qview)[0]

    def stats(self) -> EngineStats:
        """Cache counters."""
        return EngineStats(
            scene_version=self._version,
            scene_encodes=self._scene_encodes,
            view_encodes=self._view_encodes,
            text_hits=self._text_cache.hits,
            text_misses=self._text_cache.misses,
        )

    # --- result assembly ---------------------------------------------------------------------------

    def _request_ids(self, n: int, given: Sequence[str] | None) -> list[str]:
        if given is None:
            return [f"q{next(self._ids)}" for _ in range(n)]
        if len(given) != n:
            raise GroundingError(f"request_ids: expected {n} ids, one per query, got {len(given)}")
        return [str(r) for r in given]

    def _candidate(self, index: int, object_ids: list[int], d: Decision, description: str | None = None) -> Candidate:
        oid = object_ids[index]
        f = self._facts[oid]
        return Candidate(oid, float(d.object_probs[index]), f.box, f.label, description)

    def _grounding_result(
        self,
        request_id: str,
        text: str,
        d: Decision,
        object_ids: list[int],
        attention: np.ndarray | None,
        view: QueryView | None,
    ) -> GroundingResult:
        k = self.config.num_runner_ups
        order = [int(i) for i in d.order]
        best = d.best
        chosen = None if best is None or d.status == "not_found" else self._candidate(best, object_ids, d)
        runner_ups = [self._candidate(i, object_ids, d) for i in (order[:k] if chosen is None else order[1 : k + 1])]
        question = None
        candidates = runner_ups
        if d.status == "ambiguous":
            ambiguous_ids = [object_ids[int(i)] for i in d.ambiguous]
            q = clarifying_question(ambiguous_ids, self._facts, view)
            question = q.question
            candidates = [
                self._candidate(int(i), object_ids, d, q.descriptions.get(object_ids[int(i)])) for i in d.ambiguous
            ]
        evidence = Evidence(
            chosen=chosen,
            runner_ups=runner_ups,
            anchors=self._anchors(attention, object_ids, best),
            none_score=d.none_prob,
            confidence=d.confidence,
        )
        return GroundingResult(
            request_id=request_id,
            text=text,
            status=d.status,
            object_id=None if chosen is None else chosen.object_id,
            box=None if chosen is None else chosen.box,
            label=None if chosen is None else chosen.label,
            confidence=d.confidence,
            candidates=candidates,
            clarifying_question=question,
            evidence=evidence,
            scene_version=self._version,
        )

    def _anchors(self, attention: np.ndarray | None, object_ids: list[int], target: int | None) -> list[Anchor]:
        """Objects other than the target that drew at least ``anchor_min_share`` times the uniform attention."""
        if attention is None or len(object_ids) == 0:
            return []
        floor = self.config.anchor_min_share / len(object_ids)
        order = [int(i) for i in np.argsort(-attention, kind="stable") if int(i) != target and attention[i] >= floor]
        anchors = []
        for i in order[: self.config.max_anchors]:
            f = self._facts[object_ids[i]]
            anchors.append(Anchor(object_ids[i], float(attention[i]), f.box, f.label))
        return anchors


def _view_key(view: QueryView | None) -> Hashable:
    """Cache key of a view, rounded to a millimetre so re-sent identical views hit."""
    if view is None:
        return None
    return tuple(np.round(np.concatenate([view.position, view.look_at]), 3).tolist())


def _fingerprint(
    proposals: Sequence[ObjectProposal],
    metadata: Mapping[int, Mapping[str, Any]] | None,
    image_features: Mapping[int, np.ndarray] | None,
) -> str:
    """A digest of everything that changes the encoded scene."""
    h = hashlib.blake2b(digest_size=16)
    for p in proposals:
        h.update(np.int64(p.object_id).tobytes())
        h.update(np.ascontiguousarray(p.points).tobytes())
        h.update(np.ascontiguousarray(p.colors).tobytes())
        h.update(np.concatenate([p.box.center, p.box.size, [p.box.yaw]]).tobytes())
        if image_features and p.object_id in image_features:
            h.update(np.asarray(image_features[p.object_id], dtype=np.float32).tobytes())
    h.update(repr(sorted((k, sorted(v.items())) for k, v in (metadata or {}).items())).encode())
    return h.hexdigest()
