"""Face-ID models: detector, aligner and embedder behind one interface (``types``).

The kiosk infers with them; nothing here knows a screen or a server. ``dlib_models``
is today's implementation (docs/face-id.md says why); ``quality``, ``liveness`` and
``matcher`` work on any implementation's output.
"""
