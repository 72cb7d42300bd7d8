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

// 4. Fine-tune the decoder for a few steps, with a progress callback
var config = TrainingConfig.builder().optLearningRate(5e-3).optMaxSteps(60).optBatchSize(4).optSeed(42).build()
var trainer = new DecoderTrainer(model, config)
trainer.addListener(TrainingListener.onStep(e -> { if (e.step() % 15 == 0) System.out.printf("step %d loss %.4f%n", e.step(), e.loss()); }))
var result = trainer.fit(new SliceTrainingData(split.train(), cache, PromptMode.BOX, 0), null, null, false)

// 5. Score again, save the decoder, draw an overlay
var after = scorer.evaluate("after", split.test())
model.saveDecoder(work.resolve("decoder.safetensors"), Map.of())
var tuned = predictor.predict(Prompt.of(slice.box()))
ReportFigures.writePng(ReportFigures.overlay(slice, tuned.mask(), Prompt.of(slice.box()), "after fine-tuning"), work.resolve("overlay.png"))
System.out.println("decoder and overlay in " + work)

trainer.close()
predictor.close()
model.close()
