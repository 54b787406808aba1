using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Mosaic.Benchmarks.RenderingBenchmarks).Assembly).Run(args);
