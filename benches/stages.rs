//! Criterion benches, one per stage: decode (a row group of a synthetic
//! competition-like file), the image steps, the resize, PNG encoding and the zip
//! writer. Inputs are made by `pixelprep::synth`, so no download is needed.
//!
//!     cargo bench --bench stages
//!     cargo bench --bench stages -- decode      # one stage

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pixelprep::internals::{
    encode_png, resize_linear, synthetic_image, transform, PixelRows, PixelTable, Sink, ZipSink,
};
use pixelprep::{write_synthetic, Geometry, SynthOptions};

const SEED: u64 = 2020;

fn images(n: usize) -> Vec<Vec<u8>> {
    let g = Geometry::default();
    (0..n)
        .map(|i| synthetic_image(SEED, i, g.height, g.width))
        .collect()
}

fn decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.parquet");
    let rows = 1000;
    let g = Geometry::default();
    write_synthetic(
        &path,
        &SynthOptions {
            rows,
            seed: SEED,
            first_id: 0,
            row_group_size: rows,
            height: g.height,
            width: g.width,
        },
    )
    .unwrap();
    let table = PixelTable::open(&path, g.shape(), None).unwrap();
    let ids = table.read_ids(0, 0).unwrap();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(rows as u64));
    group.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut pixels = PixelRows::default();
        group.bench_function(
            format!("row group of 1000 images, {threads} threads"),
            |b| b.iter(|| pool.install(|| table.read_pixels(0, 0, &ids, &mut pixels).unwrap())),
        );
    }
    group.finish();
}

fn steps(c: &mut Criterion) {
    let inputs = images(64);
    let g = Geometry::default();
    let mut group = c.benchmark_group("steps");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("transform 64 images (steps 1-7)", |b| {
        b.iter(|| {
            for raw in &inputs {
                black_box(transform(black_box(raw), &g));
            }
        })
    });
    group.finish();
}

fn resize(c: &mut Criterion) {
    let src: Vec<u8> = (0..170 * 170).map(|i| (i * 7 % 253) as u8).collect();
    let mut group = c.benchmark_group("resize");
    group.throughput(Throughput::Elements(1));
    group.bench_function("170x170 -> 128x128", |b| {
        b.iter(|| resize_linear(black_box(&src), 170, 170, 128, 128))
    });
    group.bench_function("90x90 -> 128x128", |b| {
        b.iter(|| resize_linear(black_box(&src[..90 * 90]), 90, 90, 128, 128))
    });
    group.finish();
}

fn png(c: &mut Criterion) {
    let g = Geometry::default();
    let resized: Vec<Vec<u8>> = images(32).iter().map(|raw| transform(raw, &g).0).collect();
    let mut group = c.benchmark_group("png");
    group.throughput(Throughput::Elements(resized.len() as u64));
    group.bench_function("encode 32 images of 128x128", |b| {
        b.iter(|| {
            for img in &resized {
                black_box(encode_png(img, 128, 128));
            }
        })
    });
    group.finish();
}

fn archive(c: &mut Criterion) {
    let g = Geometry::default();
    let pngs: Vec<Vec<u8>> = images(32)
        .iter()
        .map(|raw| encode_png(&transform(raw, &g).0, 128, 128))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let entries = 2000;
    let mut group = c.benchmark_group("archive");
    group.throughput(Throughput::Elements(entries as u64));
    group.sample_size(20);
    group.bench_function("zip of 2000 stored PNG entries", |b| {
        b.iter_batched(
            || dir.path().join("bench.zip"),
            |path| {
                let mut sink: Box<dyn Sink> = Box::new(ZipSink::create(&path, true).unwrap());
                for i in 0..entries {
                    sink.add(&format!("Train_{i}"), i, &pngs[i % pngs.len()])
                        .unwrap();
                }
                sink.finish().unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, decode, steps, resize, png, archive);
criterion_main!(benches);
