#!/usr/bin/env bash
# SwitchLingua code-switching recipe: corpus -> data -> features -> units -> CS-ASR -> SAER; Whisper; robustness; speech
# tokens; flow-matching acoustic model (tokens + voice prompt -> mel -> HiFi-GAN), judged by the CS-ASR; text-to-speech
# (text -> speech tokens -> flow -> HiFi-GAN) judged against ground truth, copy synthesis and resynthesis.
# Stage table and results: README.md next to this file. Every stage is one `cstk` call; a finished stage leaves
# a stamp in <work_dir>/.stamps and is skipped when re-run with the same command (--force redoes it).
set -euo pipefail

recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$recipe_dir/../.." && pwd)

first_stage=0
stop_stage=26           # the last stage of the demo recipe (27-29: the autoregressive text -> token model;
                        # 30-47: TTS-augmented CS-ASR)
data_root=""            # SwitchLingua audio release; empty: the embedded demo corpus
work_dir="$recipe_dir"  # data/ and exp/ go here
nj=2
ngpu=0
force=false
lanes=true              # run independent stages side by side (see side_lane below)
overrides=()            # trailing key=value Hydra overrides, passed to every stage
aug_per_pair=30         # stage 30: generated sentences per language pair and switch kind
aug_weight=1            # stages 34/41: times the synthetic set is taken beside data/train (the mix ratio)
aug_max_mer=""          # stages 33/40: drop synthetic utterances exp/asr reads back with a MER above this (empty: off)
aug_init=asr            # stages 35/42/45: asr = fine-tune exp/asr; scratch = train from scratch
aug_epochs=5            # epochs of the augmented (and the real-only control) training
aug_lr=0.001            # their peak learning rate (fine-tuning: a third of training from scratch)

usage() {
  cat <<USAGE
Usage: $0 [options] [key=value ...]
  --stage N         first stage to run (default $first_stage)
  --stop_stage M    last stage to run (default $stop_stage)
  --data_root DIR   SwitchLingua audio release (<Language>.csv + <Language>/*.m4a); empty: embedded demo corpus
  --work_dir DIR    where data/ and exp/ go (default: the recipe folder)
  --nj N            parallel jobs (default $nj)
  --ngpu N          GPUs for the training stages (default $ngpu: CPU); N >= 1 also picks the GPU-sized models
  --force           redo stages even if their stamp says they are done
  --lanes BOOL      true (default): stages that do not need each other run side by side, each command with
                    half the CPU threads; false: one stage at a time
  --aug_per_pair N  stage 30: generated sentences per language pair and switch kind (default $aug_per_pair)
  --aug_weight X    times the synthetic set is taken beside data/train (default $aug_weight)
  --aug_max_mer X   drop synthetic utterances exp/asr reads back with a MER above X (default: off)
  --aug_init MODE   asr: fine-tune exp/asr (default); scratch: train from scratch
  --aug_epochs N    epochs of the augmented trainings (default $aug_epochs)
  --aug_lr X        their peak learning rate (default $aug_lr)
  -h, --help        this message
  key=value         Hydra overrides for every stage, e.g. world=generated (the generated demo world and
                    its settings) or data.mini.generated.train_sentences=100
USAGE
}

die_usage() { echo "run.sh: $1" >&2; usage >&2; exit 2; }
need_int() { [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || die_usage "$1 needs a non-negative integer"; }

while (($#)); do
  case "$1" in
    --stage) need_int "$@"; first_stage=$2; shift 2 ;;
    --stop_stage) need_int "$@"; stop_stage=$2; shift 2 ;;
    --data_root) (($# >= 2)) || die_usage "--data_root needs a value"; data_root=$2; shift 2 ;;
    --work_dir) (($# >= 2)) || die_usage "--work_dir needs a value"; work_dir=$2; shift 2 ;;
    --nj) need_int "$@"; nj=$2; shift 2 ;;
    --ngpu) need_int "$@"; ngpu=$2; shift 2 ;;
    --force) force=true; shift ;;
    --aug_per_pair) need_int "$@"; aug_per_pair=$2; shift 2 ;;
    --aug_weight) (($# >= 2)) || die_usage "--aug_weight needs a value"; aug_weight=$2; shift 2 ;;
    --aug_max_mer) (($# >= 2)) || die_usage "--aug_max_mer needs a value"; aug_max_mer=$2; shift 2 ;;
    --aug_init) [[ $# -ge 2 && $2 =~ ^(asr|scratch)$ ]] || die_usage "--aug_init needs asr or scratch"; aug_init=$2; shift 2 ;;
    --aug_epochs) need_int "$@"; aug_epochs=$2; shift 2 ;;
    --aug_lr) (($# >= 2)) || die_usage "--aug_lr needs a value"; aug_lr=$2; shift 2 ;;
    --lanes) [[ $# -ge 2 && $2 =~ ^(true|false)$ ]] || die_usage "--lanes needs true or false"; lanes=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) die_usage "unknown option $1" ;;
    *=*) overrides+=("$1"); shift ;;
    *) die_usage "unexpected argument $1 (overrides look like key=value)" ;;
  esac
done
[[ -z $data_root || -d $data_root ]] || die_usage "--data_root $data_root is not a folder"
export CSTK_NGPU=$ngpu

bash "$root/scripts/setup_env.sh"
cstk="$root/.venv/bin/cstk"
mkdir -p "$work_dir"
work_dir=$(cd "$work_dir" && pwd)
[[ -z $data_root ]] || data_root=$(cd "$data_root" && pwd)
stamps="$work_dir/.stamps"
mkdir -p "$stamps"
run_started="$stamps/.run_started"  # stamps newer than this were written by this run (possibly by a side lane)
touch "$run_started"

log() { echo "$(date '+%Y-%m-%d %H:%M:%S') [run.sh] $*" >&2; }

# stage N "description" command...: run the command if N is in [--stage, --stop_stage] and not stamped as done
# with the same command line (changed options or overrides re-run the stage; stamps of later stages are removed).
stage() {
  local n=$1 desc=$2
  shift 2
  ((n >= first_stage && n <= stop_stage)) || return 0
  local stamp="$stamps/stage$n.done" cmd key="" arg skip=false
  cmd=$(printf '%q ' "$@")
  for arg in "$@"; do  # the stamp records the command without --nj: a job count does not change results
    if $skip; then skip=false; elif [[ $arg == --nj ]]; then skip=true; else key+="$(printf '%q ' "$arg")"; fi
  done
  if [[ $force == false && -f $stamp && "$(cat "$stamp")" == "$key" ]]; then
    log "stage $n: $desc: done earlier, skipped (--force redoes it)"
    return 0
  fi
  for done_file in "$stamps"/stage*.done; do  # later stages depend on this one: they must run again
    [[ -e $done_file && ! $done_file -nt $run_started ]] || continue  # (not those this run did side by side)
    local m=${done_file##*/stage}
    m=${m%.done}
    ((m < n)) || rm -f "$done_file"
  done
  log "===== stage $n: $desc ====="
  log "command: $cmd"
  local start=$SECONDS
  "$@"
  log "stage $n finished in $((SECONDS - start)) s"
  printf '%s' "$key" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp"
}

# side_lane FUNCTION "N ...": run FUNCTION's stages (numbered N ...) in the background while the stages after this
# call go on; join_side_lane waits for them. Both sides then cap every command at half the CPU threads
# (CSTK_THREADS, cstoolkit.core.runtime): the demo's models train as fast on one thread as on two, so on 2 cores two
# stages take the time of one. A side lane only holds stages that need nothing the main lane makes before the join.
# Its output goes to <work_dir>/logs/<FUNCTION>.log; its stage lines are repeated here at the join, and a failed
# side stage fails the recipe there (or at once, if the main lane ends first).
side_pid=""
side_log=""
main_threads=${CSTK_THREADS-}
lane_threads=$(( $(nproc) / 2 > 1 ? $(nproc) / 2 : 1 ))
stop_side_lane() { [[ -z $side_pid ]] || { pkill -TERM -P "$side_pid" 2>/dev/null; kill "$side_pid" 2>/dev/null; }; }
trap stop_side_lane EXIT
side_lane() {
  local fn=$1 n any=false
  for n in $2; do ((n < first_stage || n > stop_stage)) || any=true; done
  if ! $any; then return 0; fi
  if [[ $lanes == false ]]; then "$fn"; return 0; fi
  mkdir -p "$work_dir/logs"
  side_log="$work_dir/logs/$fn.log"
  log "side lane $fn (stages $2) runs beside the next stages, $lane_threads thread(s) per command; log: $side_log"
  (CSTK_THREADS=$lane_threads "$fn") >"$side_log" 2>&1 &
  side_pid=$!
  export CSTK_THREADS=$lane_threads
}
join_side_lane() {
  [[ -n $side_pid ]] || return 0
  local status=0
  log "waiting for side lane ${side_log##*/}"
  wait "$side_pid" || status=$?
  side_pid=""
  if [[ -n $main_threads ]]; then export CSTK_THREADS=$main_threads; else unset CSTK_THREADS; fi
  grep -a '\[run.sh\]' "$side_log" | sed 's/^/  (side) /' >&2 || true
  if ((status != 0)); then
    log "side lane failed (exit $status); the end of $side_log:"
    tail -n 15 "$side_log" >&2
    exit "$status"
  fi
}

stage 0 "prepare data (demo corpus, or the release at --data_root)" \
  "$cstk" prepare --data_root "$data_root" --work_dir "$work_dir" --nj "$nj" "${overrides[@]}"
# The evaluation splits: test, and test_novel where the corpus has one (the demo corpus: sentences of held-out
# structures, read by the test voices). eval_pairs PREFIX sets `pairs` to --data-dir/--out-dir options, one pair
# per evaluation split (out: PREFIX<split>); eval_data sets `pairs` to --data-dir options of the given splits and
# the evaluation splits.
eval_splits=(test)
[[ ! -f $work_dir/data/test_novel/wav.scp ]] || eval_splits+=(test_novel)
eval_pairs() {
  local split
  pairs=()
  for split in "${eval_splits[@]}"; do pairs+=(--data-dir "$work_dir/data/$split" --out-dir "$1$split"); done
}
eval_data() {
  local split
  pairs=()
  for split in "$@" "${eval_splits[@]}"; do pairs+=(--data-dir "$work_dir/data/$split"); done
}
stage 1 "features: fbank (ASR), HiFi-GAN mel (TTS), CMVN statistics" \
  "$cstk" features --work_dir "$work_dir" --nj "$nj" "${overrides[@]}"

# Training stages: --ngpu 0 trains the CPU-sized models on the CPU. --ngpu 1 trains the GPU-sized models (asr=gpu_base,
# tokenizer=gpu, flow=flow_gpu, t2s=nar_gpu; stage 27: t2s=ar_gpu) on one GPU in bf16 mixed precision (trainer=gpu);
# --ngpu N>1 the same with DDP over N GPUs (trainer=ddp trainer.devices=N: Lightning starts one process per GPU, each
# reading its share of the batches). Trailing key=value overrides come after these and win (e.g. asr=cpu_small).
train_opts=()
ar_model=t2s=ar_cpu
if ((ngpu >= 1)); then
  train_opts=(trainer=gpu)
  ((ngpu == 1)) || train_opts=(trainer=ddp "trainer.devices=$ngpu")
  train_opts+=(asr=gpu_base tokenizer=gpu flow=flow_gpu t2s=nar_gpu)
  ar_model=t2s=ar_gpu
fi
stage 2 "units: characters for Han/Kana, SentencePiece subwords for spaced scripts" \
  "$cstk" units --text "$work_dir/data/train/text" --out-dir "$work_dir/data/units" "${overrides[@]}"
# Side lane 1: the stages that need only the prepared data run beside the ASR training (stages 3-4).
data_only_stages() {
  stage 7 "robustness data: the test set under noise (white/pink 30/20/10 dB, babble 15 dB), speed 0.9/1.1, reverb, telephone band" \
    "$cstk" corrupt --condition all --data-dir "$work_dir/data/test" --out-dir "$work_dir/data/test_conditions" \
    --nj "$nj" "${overrides[@]}"
  stage 5 "baseline: Whisper base (faster-whisper, offline) told each utterance's language (utt2lang), scored the same way" \
    "$cstk" whisper --data-dir "$work_dir/data/test" --out-dir "$work_dir/exp/whisper/decode_test" --score \
    whisper.language=utt2lang "${overrides[@]}"
  stage 6 "baseline: Whisper base detecting the language of each utterance itself, scored the same way" \
    "$cstk" whisper --data-dir "$work_dir/data/test" --out-dir "$work_dir/exp/whisper/decode_test_autolang" --score \
    whisper.language=null "${overrides[@]}"
  stage 9 "robustness of the Whisper baseline (given language) on a few conditions" \
    "$cstk" robustness --whisper --conditions-dir "$work_dir/data/test_conditions" \
    --out-dir "$work_dir/exp/whisper/robustness" --conditions white_20db,speed_0.9 whisper.language=utt2lang \
    "${overrides[@]}"
  eval_data train dev
  stage 14 "speaker embeddings (resemblyzer d-vectors) of every utterance: data/<split>/utt_embed.scp" \
    "$cstk" embed-speakers "${pairs[@]}" "${overrides[@]}"
}
side_lane data_only_stages "5 6 7 9 14"
stage 3 "train the CS-ASR model (ESPnet conformer, CTC/attention; a re-run resumes a killed training)" \
  "$cstk" train-asr --train-dir "$work_dir/data/train" --dev-dir "$work_dir/data/dev" \
  --units-dir "$work_dir/data/units" --exp-dir "$work_dir/exp/asr" "${train_opts[@]}" "${overrides[@]}"
eval_pairs "$work_dir/exp/asr/decode_"
stage 4 "decode the test sets (joint CTC/attention beam search: test, test_novel) and score them with SAER" \
  "$cstk" decode-asr --model-dir "$work_dir/exp/asr" "${pairs[@]}" --score "${overrides[@]}"
join_side_lane

# Side lane 2, beside the tokenizer training: robustness of the CS-ASR, and copy synthesis of the test sets (real
# mel -> HiFi-GAN, into exp/flow/copysynth_<split>; it needs no model of ours).
# Speech tokenizer (CosyVoice's supervised semantic tokens): a quantizer inside the CS-ASR encoder, trained through the
# ASR loss from exp/asr; its tokens for every split are what the TTS stages read.
asr_robustness_stages() {
  eval_pairs "$work_dir/exp/flow/copysynth_"
  stage 16 "copy synthesis of the test sets (real mel -> HiFi-GAN): the upper bound" \
    "$cstk" vocode "${pairs[@]}" "${overrides[@]}"
  stage 8 "robustness of the CS-ASR: every condition decoded and scored (table + PNG)" \
    "$cstk" robustness --model-dir "$work_dir/exp/asr" --conditions-dir "$work_dir/data/test_conditions" \
    --out-dir "$work_dir/exp/asr/robustness" "${overrides[@]}"
}
side_lane asr_robustness_stages "8 16"
stage 10 "train the speech tokenizer: the CS-ASR with a quantizer after encoder block k (ASR + commitment loss), from exp/asr" \
  "$cstk" train-tokenizer --train-dir "$work_dir/data/train" --dev-dir "$work_dir/data/dev" \
  --asr-dir "$work_dir/exp/asr" --units-dir "$work_dir/data/units" --exp-dir "$work_dir/exp/tokenizer" \
  "${train_opts[@]}" "${overrides[@]}"
eval_pairs "$work_dir/exp/tokenizer/decode_"
stage 11 "decode the test sets through the quantizer and score them as stage 4 does (what the tokens keep of what was said)" \
  "$cstk" decode-tokenizer --model-dir "$work_dir/exp/tokenizer" "${pairs[@]}" --score "${overrides[@]}"
eval_data train dev
stage 12 "speech tokens for every split: data/<split>/speech_tokens" \
  "$cstk" tokenize --model "$work_dir/exp/tokenizer" "${pairs[@]}" --nj "$nj"
stage 13 "tokenizer report: codebook usage, MER through the quantizer vs the CS-ASR, speaker invariance (JSON + PNG)" \
  "$cstk" tokenizer-report --model-dir "$work_dir/exp/tokenizer" --data-root "$work_dir/data" \
  --decode-dir "$work_dir/exp/tokenizer/decode_test" --asr-decode-dir "$work_dir/exp/asr/decode_test" \
  "${overrides[@]}"
join_side_lane

# Flow-matching acoustic model (CosyVoice's second half): speech tokens + speaker embedding + voice prompt -> mel, and
# the HiFi-GAN vocoder; judged by the CS-ASR (SAER) and by speaker similarity.
stage 15 "train the flow-matching acoustic model (OT-CFM, classifier-free guidance, voice prompts) on the speech tokens" \
  "$cstk" train-flow --train-dir "$work_dir/data/train" --dev-dir "$work_dir/data/dev" \
  --tokenizer-dir "$work_dir/exp/tokenizer" --exp-dir "$work_dir/exp/flow" "${train_opts[@]}" "${overrides[@]}"

# Side lane 3, beside the text -> token model's alignment and training: the flow model's resynthesis and judging.
flow_judging_stages() {
  eval_pairs "$work_dir/exp/flow/resynth_"
  stage 17 "resynthesis of the test sets from their speech tokens, voice prompt: another utterance of the same speaker" \
    "$cstk" resynthesize --model "$work_dir/exp/flow" "${pairs[@]}"
  stage 18 "judge both: CS-ASR transcripts scored with SAER, speaker similarity (table: exp/flow/evaluation.tsv)" \
    "$cstk" evaluate-tts --synth-dir "$work_dir/exp/flow/copysynth_test" --synth-dir "$work_dir/exp/flow/resynth_test" \
    --data-dir "$work_dir/data/test" --asr-dir "$work_dir/exp/asr" --table "$work_dir/exp/flow/evaluation.json" \
    --nj "$nj" "${overrides[@]}"
}
side_lane flow_judging_stages "17 18"

# Text-to-speech (CosyVoice's first half, non-autoregressive): text units + language + speaker -> speech tokens, with
# durations from the tokenizer's CTC alignment; spoken through exp/flow; judged with the other systems.
stage 19 "align text units to speech-token frames with the tokenizer's CTC head: data/<split>/{text_units,unit_durations,unit_langs}" \
  "$cstk" align-units --tokenizer-dir "$work_dir/exp/tokenizer" --data-dir "$work_dir/data/train" \
  --data-dir "$work_dir/data/dev" --data-dir "$work_dir/data/test" --nj "$nj"
stage 20 "train the NAR text -> speech-token model into exp/tts (speaks through exp/flow)" \
  "$cstk" train-t2s --train-dir "$work_dir/data/train" --dev-dir "$work_dir/data/dev" \
  --tokenizer-dir "$work_dir/exp/tokenizer" --flow-dir "$work_dir/exp/flow" --exp-dir "$work_dir/exp/tts" \
  "${train_opts[@]}" "${overrides[@]}"
join_side_lane

stage 21 "TTS of the test sentences, voice prompt: another utterance of the same speaker (as stage 17)" \
  "$cstk" synthesize --model "$work_dir/exp/tts" --data-dir "$work_dir/data/test" --out-dir "$work_dir/exp/tts/synth_test"
stage 22 "judge the TTS and the real audio; table over ground truth, copy synthesis, resynthesis, TTS (exp/tts/evaluation.tsv)" \
  "$cstk" evaluate-tts --ground-truth "$work_dir/data/test" --ground-truth-decode "$work_dir/exp/asr/decode_test" \
  --ground-truth-out "$work_dir/exp/tts/ground_truth" --judged-dir "$work_dir/exp/flow/copysynth_test" \
  --judged-dir "$work_dir/exp/flow/resynth_test" --synth-dir "$work_dir/exp/tts/synth_test" \
  --data-dir "$work_dir/data/test" --asr-dir "$work_dir/exp/asr" --table "$work_dir/exp/tts/evaluation.json" \
  --nj "$nj" "${overrides[@]}"
stage 23 "listening page: a few sentences of every language pair from every system (exp/tts/samples.html)" \
  "$cstk" tts-samples --table "$work_dir/exp/tts/evaluation.json" --out "$work_dir/exp/tts/samples.html"

# Sentences the TTS never heard. With a test_novel split (the generated demo world, data.mini.sentences=generated:
# sentences of held-out structures, read by the test voices), the TTS speaks them and they are judged as stages
# 21-23 judge the test set, beside their ground truth. Without one (the templates world, the release), new sentences
# are stitched from train sentences (text only) and spoken in the test speakers' voices.
if [[ " ${eval_splits[*]} " == *" test_novel "* ]]; then
  stage 24 "TTS of the test_novel sentences, voice prompt: another utterance of the same speaker (as stage 17)" \
    "$cstk" synthesize --model "$work_dir/exp/tts" --data-dir "$work_dir/data/test_novel" \
    --out-dir "$work_dir/exp/tts/synth_test_novel"
  stage 25 "judge test_novel as stage 22 judges test: ground truth, copy synthesis, resynthesis, TTS (exp/tts/novel_evaluation.tsv)" \
    "$cstk" evaluate-tts --ground-truth "$work_dir/data/test_novel" \
    --ground-truth-decode "$work_dir/exp/asr/decode_test_novel" --ground-truth-out "$work_dir/exp/tts/ground_truth_novel" \
    --synth-dir "$work_dir/exp/flow/copysynth_test_novel" --synth-dir "$work_dir/exp/flow/resynth_test_novel" \
    --synth-dir "$work_dir/exp/tts/synth_test_novel" --data-dir "$work_dir/data/test_novel" \
    --asr-dir "$work_dir/exp/asr" --table "$work_dir/exp/tts/novel_evaluation.json" --nj "$nj" "${overrides[@]}"
  stage 26 "listening page of test_novel (exp/tts/samples_novel.html)" \
    "$cstk" tts-samples --table "$work_dir/exp/tts/novel_evaluation.json" --out "$work_dir/exp/tts/samples_novel.html" \
    --title "test_novel: sentence structures no model heard"
else  # no recorded test_novel: new sentences stitched from train sentences (text only), in the test voices
  stage 24 "new sentences: train sentences crossed over at a language switch, none in train/dev/test (data/novel_text)" \
    "$cstk" novel-sentences --data-dir "$work_dir/data/train" --exclude "$work_dir/data/dev" \
    --exclude "$work_dir/data/test" --speakers-from "$work_dir/data/test" --per-pair 3 \
    --out-dir "$work_dir/data/novel_text"
  stage 25 "TTS of the new sentences, voice prompts: utterances of the same test speaker (data/test)" \
    "$cstk" synthesize --model "$work_dir/exp/tts" --data-dir "$work_dir/data/novel_text" \
    --prompts-from "$work_dir/data/test" --out-dir "$work_dir/exp/tts/synth_novel"
  stage 26 "judge the new sentences as stage 22 does (exp/tts/novel_evaluation.tsv)" \
    "$cstk" evaluate-tts --synth-dir "$work_dir/exp/tts/synth_novel" --data-dir "$work_dir/data/test" \
    --asr-dir "$work_dir/exp/asr" --table "$work_dir/exp/tts/novel_evaluation.json" --nj "$nj" "${overrides[@]}"
fi

# Beyond the demo's default range (--stop_stage 29): CosyVoice's autoregressive text -> speech-token LM in place of
# the NAR model, on the same data and flow model, judged beside it.
stage 27 "train the autoregressive text -> speech-token LM ($ar_model) into exp/tts_ar (speaks through exp/flow)" \
  "$cstk" train-t2s --train-dir "$work_dir/data/train" --dev-dir "$work_dir/data/dev" \
  --tokenizer-dir "$work_dir/exp/tokenizer" --flow-dir "$work_dir/exp/flow" --exp-dir "$work_dir/exp/tts_ar" \
  "${train_opts[@]}" "$ar_model" "${overrides[@]}"
stage 28 "TTS of the test sentences with the AR model (prompts as stage 21)" \
  "$cstk" synthesize --model "$work_dir/exp/tts_ar" --data-dir "$work_dir/data/test" \
  --out-dir "$work_dir/exp/tts_ar/synth_test"
stage 29 "judge the AR model beside the NAR one (exp/tts_ar/evaluation.tsv)" \
  "$cstk" evaluate-tts --synth-dir "$work_dir/exp/tts_ar/synth_test" --judged-dir "$work_dir/exp/tts/synth_test" \
  --data-dir "$work_dir/data/test" --asr-dir "$work_dir/exp/asr" --table "$work_dir/exp/tts_ar/evaluation.json" \
  --nj "$nj" "${overrides[@]}"

# Beyond the AR stages (--stage 30 --stop_stage 47): TTS-augmented CS-ASR. Code-switched text is easy to generate,
# speech is not: the generator writes new sentences (none of dev, test or test_novel; how many share a structure
# with them is reported in data/train_<source>/synthetic.json), our TTS speaks them in the training speakers' voices
# (prompts from data/train), and the CS-ASR trains on real + synthetic speech. The oracle row speaks the same text
# with espeak-ng in the demo corpus's own training voices (what recordings of it would give; demo corpus only); the
# control row trains on the real data alone with the same settings, so a gain is not the extra epochs'. Each model is
# decoded and compared with exp/asr and with the control by paired tests (exp/asr_<source>/comparison*.{json,tsv}).
held_out=()
for split in dev "${eval_splits[@]}"; do held_out+=(--held-out "$work_dir/data/$split"); done
aug_train_opts=("asr.train.max_epochs=$aug_epochs" "asr.optim.lr=$aug_lr")
[[ $aug_init == scratch ]] || aug_train_opts+=(--init-from "$work_dir/exp/asr")
corpus_pairs=""  # the language pairs of data/train
[[ ! -f $work_dir/data/train/utt2lang ]] || corpus_pairs=$(cut -d' ' -f2 "$work_dir/data/train/utt2lang" | sort -u | paste -sd, -)
stage 30 "generate code-switched text for the corpus's pairs, none of train, dev or the test sets (data/gen_text)" \
  "$cstk" generate-text --pairs "$corpus_pairs" --per-pair "$aug_per_pair" --exclude "$work_dir/data/train" \
  "${held_out[@]/--held-out/--exclude}" --seed 1 --out-dir "$work_dir/data/gen_text"

# augmented_asr NAME FIRST_STAGE SPEAK_OPTIONS...: speak data/gen_text into data/train_NAME, features, (read back
# with exp/asr), combine with data/train, train exp/asr_NAME, decode the test sets, compare with exp/asr.
augmented_asr() {
  local name=$1 n=$2 filter=()
  shift 2
  local syn="$work_dir/data/train_$name" mix="$work_dir/data/train_mix_$name" exp="$work_dir/exp/asr_$name"
  stage "$n" "speak data/gen_text in the training voices ($name) into data/train_$name, marked synthetic" \
    "$cstk" synthetic-data --text-dir "$work_dir/data/gen_text" --speakers-from "$work_dir/data/train" "$@" \
    "${held_out[@]}" --out-dir "$syn" --nj "$nj" "${overrides[@]}"
  stage $((n + 1)) "features of data/train_$name" \
    "$cstk" features --work_dir "$work_dir" --nj "$nj" "${overrides[@]}" "features.splits=[train,train_$name]"
  if [[ -n $aug_max_mer ]]; then
    stage $((n + 2)) "read data/train_$name back with exp/asr (CTC greedy), for the MER filter" \
      "$cstk" decode-asr --model-dir "$work_dir/exp/asr" --data-dir "$syn" \
      --out-dir "$work_dir/exp/asr/decode_train_$name" --method greedy --score metric.bootstrap=0 "${overrides[@]}"
    filter=(--scores "$work_dir/exp/asr/decode_train_$name/per_utt.tsv" --max-mer "$aug_max_mer")
  fi
  stage $((n + 3)) "combine data/train and data/train_$name (weight $aug_weight) into data/train_mix_$name" \
    "$cstk" combine-data --data-dir "$work_dir/data/train" --data-dir "$syn" --weight 1 --weight "$aug_weight" \
    "${filter[@]}" "${held_out[@]}" --out-dir "$mix"
  stage $((n + 4)) "train the CS-ASR on real + $name speech into exp/asr_$name ($aug_init)" \
    "$cstk" train-asr --train-dir "$mix" --dev-dir "$work_dir/data/dev" --units-dir "$work_dir/data/units" \
    --exp-dir "$exp" --stats-file "$work_dir/data/train/feats_stats.npz" "${aug_train_opts[@]}" "${train_opts[@]}" \
    "${overrides[@]}"
  eval_pairs "$exp/decode_"
  stage $((n + 5)) "decode the test sets with exp/asr_$name" \
    "$cstk" decode-asr --model-dir "$exp" "${pairs[@]}" --score "${overrides[@]}"
  local splits=()
  for split in "${eval_splits[@]}"; do splits+=(--split "$split"); done
  stage $((n + 6)) "compare exp/asr_$name with exp/asr (paired, per pair): exp/asr_$name/comparison.{json,tsv}" \
    "$cstk" compare-asr --data-root "$work_dir/data" --baseline "$work_dir/exp/asr" --system "$exp" "${splits[@]}" \
    --out "$exp/comparison" "${overrides[@]}"
}
augmented_asr tts 31 --tts "$work_dir/exp/tts"
augmented_asr oracle 38 --espeak

# The control: the real data alone, trained with the same settings (fine-tuned as long), compared as above; then the
# two augmented models against it (exp/asr_<source>/comparison_vs_real.{json,tsv}).
stage 45 "control: train on data/train alone with the augmented models' settings into exp/asr_real" \
  "$cstk" train-asr --train-dir "$work_dir/data/train" --dev-dir "$work_dir/data/dev" \
  --units-dir "$work_dir/data/units" --exp-dir "$work_dir/exp/asr_real" "${aug_train_opts[@]}" "${train_opts[@]}" \
  "${overrides[@]}"
eval_pairs "$work_dir/exp/asr_real/decode_"
stage 46 "decode the test sets with exp/asr_real" \
  "$cstk" decode-asr --model-dir "$work_dir/exp/asr_real" "${pairs[@]}" --score "${overrides[@]}"
splits=()
for split in "${eval_splits[@]}"; do splits+=(--split "$split"); done
stage 47 "compare exp/asr_tts and exp/asr_oracle with the control exp/asr_real (comparison_vs_real.{json,tsv})" \
  bash -c 'set -e; for name in tts oracle; do "$0" compare-asr --data-root "$1/data" --baseline "$1/exp/asr_real" \
    --system "$1/exp/asr_$name" --out "$1/exp/asr_$name/comparison_vs_real" "${@:2}"; done' \
  "$cstk" "$work_dir" "${splits[@]}" "${overrides[@]}"

log "stages $first_stage..$stop_stage done; data in $work_dir/data, models and scores in $work_dir/exp"
