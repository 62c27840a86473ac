//! Prints the instantiation plan of a component (what `stagec inspect COMP` will print):
//! `cargo run -p stagec-component --example inspect -- COMP.wat`.

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: inspect COMPONENT.(wat|wasm)"))?;
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let component = stagec_component::Component::from_file(&engine, &path)?;
    print!("{}", component.inspect());
    Ok(())
}
