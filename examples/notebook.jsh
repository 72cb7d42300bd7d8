// A samtune session, notebook style. Run it with:  ./samtune shell examples/notebook.jsh
// (or paste the lines into ./samtune shell). It uses the bundled tiny model and demo slices.
Path root = Path.of(System.getProperty("samtune.root", "."));

// 1. The data: a folder of slices, listed without decoding the images
var index = SliceIndex.scan(root.resolve("testdata/demo"))
var slice = index.load(0)
var split = SplitSpec.builder().optValFraction(0.1).optTestFraction(0.3).optSeed(42).build().split(index)

// 2. A SAM model and a prediction for the slice's box
var model = SamModel.load(root.resolve("testdata/reference/tiny-sam.pth"), SamConfig.fromJson(root.resolve("testdata/reference/tiny-sam-config.json")))
var predictor = model.newPredictor()
predictor.setImage(slice)
var prediction = predictor.predict(Prompt.of(slice.box()))
prediction.mask().dice(slice.mask())

// 3. Score the test part before fine-tuning (embeddings are cached on disk, computed once)
Path work = Files.createTempDirectory("samtune-notebook")
var cache = new EmbeddingCache(work.resolve("cache"), model, IntensityWindow.minMax(), true)
var scorer = new DiceScorer(model, cache, PromptMode.BOX, IntensityWindow.minMax())
var before = scorer.evaluate("before", split.test())

// 4. Fine-tune the decoder for a few steps: settings by concern, a listener, the loop's hooks
var data = DataConfig.builder().setFolder(root.resolve("testdata/demo")).optBoxJitter(2).build()
var config = TrainingConfig.builder().optData(data).optOptimization(OptimizationConfig.builder().optLearningRate(5e-3).optBatchSize(4).build()).optSchedule(ScheduleConfig.builder().optMaxSteps(60).build()).optRun(RunConfig.builder().optSeed(42).build()).build()
var trainer = new DecoderTrainer(model, config)
// (in braces: both return the trainer, which JShell would print again)
{ trainer.addListener(TrainingListener.onStep(run -> { if (run.step() % 15 == 0) System.out.printf("step %d loss %.4f%n", run.step(), run.loss()); })); }
{ trainer.setStrategy(TrainingStrategy.SINGLE_DEVICE); }   // where workers' gradients would be summed (DataParallel, Federation)
var result = trainer.fit(new SliceTrainingData(split.train(), cache, data), null, null, false)

// 5. Score again, save the decoder, draw an overlay
var after = scorer.evaluate("after", split.test())
model.saveDecoder(work.resolve("decoder.safetensors"), Map.of())
var tuned = predictor.predict(Prompt.of(slice.box()))
ReportFigures.writePng(ReportFigures.overlay(slice, tuned.mask(), Prompt.of(slice.box()), "after fine-tuning"), work.resolve("overlay.png"))
System.out.println("decoder and overlay in " + work)

trainer.close()
predictor.close()
model.close()

// 6. A whole run from its settings alone, as samtune train runs it: run.json records them with every hash
var settings = config.toBuilder().optModel(ModelConfig.builder().setCheckpoint(root.resolve("testdata/reference/tiny-sam.pth")).optSizes(SamConfig.fromJson(root.resolve("testdata/reference/tiny-sam-config.json"))).optDevice("cpu").optCacheFolder(work.resolve("cache")).build()).optSchedule(ScheduleConfig.builder().optMaxSteps(20).build()).build()
var run = new FineTuning(settings).run(new RunDirectory(work.resolve("run")), false)
TrainingConfig.fromJson(new RunDirectory(work.resolve("run")).readRunInfo().get("settings")).equals(settings)

// 7. LoRA adapters on the last two encoder blocks, trained with the decoder from a cache of the frozen blocks
var loraSettings = settings.toBuilder().optModel(settings.model().toBuilder().optAdapter(LoraConfig.lastBlocks(2)).build()).build()
var loraRun = new FineTuning(loraSettings).run(new RunDirectory(work.resolve("lora")), false)
var adapted = SamModel.load(root.resolve("testdata/reference/tiny-sam.pth"), SamConfig.fromJson(root.resolve("testdata/reference/tiny-sam-config.json")))
adapted.loadDecoder(work.resolve("lora").resolve(RunDirectory.DECODER_BEST))   // the decoder and its adapters
adapted.adapters()
adapted.close()

// 8. Tidy up: the session's files go unless -Dsamtune.keepExampleFiles is set
if (System.getProperty("samtune.keepExampleFiles") == null) { try (var files = Files.walk(work)) { files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); } }
