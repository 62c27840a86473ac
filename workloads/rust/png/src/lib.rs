//! The `png` crate (image-rs): a `width()` × `height()` RGBA8 image whose pixels come from
//! the imported `pixel(x, y)` is encoded (adaptive filtering, default compression),
//! then decoded again and compared; the checksum folds the encoded file.

#[cfg(not(feature = "hand"))]
mod env {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        /// Image width in pixels.
        pub safe fn width() -> u32;
        /// Image height in pixels.
        pub safe fn height() -> u32;
        /// The RGBA value (R in the low byte) of pixel (x, y).
        pub safe fn pixel(x: u32, y: u32) -> u32;
        /// The checksum fold.
        pub safe fn mix(acc: u64, x: u32) -> u64;
    }
}

#[cfg(feature = "hand")]
mod env {
    pub fn width() -> u32 {
        512
    }
    pub fn height() -> u32 {
        384
    }
    /// Like `pixel` of provider.wat: smooth gradients, a checkerboard and a little noise.
    pub fn pixel(x: u32, y: u32) -> u32 {
        let noise = (x.wrapping_mul(0x9e37_79b1) ^ y.wrapping_mul(0x85eb_ca77)) >> 29;
        let r = (x + noise) & 255;
        let g = (y * 2) & 255;
        let b = if (x >> 5 ^ y >> 5) & 1 == 0 { 40 } else { 200 };
        let a = 255 - ((x + y) & 63);
        r | g << 8 | b << 16 | a << 24
    }
    pub use wl_common::mix;
}

#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let (width, height) = (env::width(), env::height());
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            pixels.extend_from_slice(&env::pixel(x, y).to_le_bytes());
        }
    }
    let mut file = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut file, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_filter(png::Filter::Adaptive);
        let mut writer = encoder.write_header().expect("the header encodes");
        writer.write_image_data(&pixels).expect("the image encodes");
    }
    let decoder = png::Decoder::new(std::io::Cursor::new(&file));
    let mut reader = decoder.read_info().expect("the header decodes");
    let mut decoded = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut decoded).expect("the image decodes");
    assert!(
        info.width == width && info.height == height && decoded[..info.buffer_size()] == pixels[..],
        "the round trip restores the image"
    );
    let mut acc = env::mix(wl_common::SEED, file.len() as u32);
    for word in file.chunks(4) {
        let mut bytes = [0u8; 4];
        bytes[..word.len()].copy_from_slice(word);
        acc = env::mix(acc, u32::from_le_bytes(bytes));
    }
    acc as i64
}
