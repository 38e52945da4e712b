"""The dish recommender: trained on the hub from orders, run on the kiosk as one ONNX graph.

``data`` (order logs, CSVs), ``synth`` (the synthetic canteen), ``features`` (inputs shared by
hub and kiosk), ``train`` (EASE + popularity + the tuned blend), ``model`` (numpy reference),
``onnx_graph`` (export and runner), ``bundle`` (manifest, sha256), ``evaluate`` (the offline
split and baselines). Only numpy and onnx/onnxruntime: no torch anywhere.
"""
