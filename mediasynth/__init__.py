"""Seeded synthetic multi-camera clips with known offsets, for evaluation, tests and the demo.

Plain Python over numpy, scipy, OpenCV and the engine's ffmpeg (:mod:`syncengine.media`); it
imports neither Django, the portal nor the evaluation suite.

- :mod:`mediasynth.clips`: ``CameraSpec`` and ``write_clip``/``write_clips``, one seeded world
  recorded by several cameras (the world's sound and picture in :mod:`~mediasynth.audio`,
  :mod:`~mediasynth.world`, :mod:`~mediasynth.video`; rooms and microphones in
  :mod:`~mediasynth.room`; viewpoints in :mod:`~mediasynth.view`; espeak-ng speech in
  :mod:`~mediasynth.speech`);
- :mod:`mediasynth.plan` and :mod:`mediasynth.dataset`: cases (cameras plus ffmpeg degradations,
  :mod:`~mediasynth.degrade`) written as a dataset with a manifest;
- :mod:`mediasynth.demo`: the three-camera demo event (``python -m mediasynth.demo --out DIR``).
"""
