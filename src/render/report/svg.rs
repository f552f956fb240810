//! Charts as inline SVG with hooks: a plotters backend that draws every
//! element through plotters' own [`SVGBackend`] into a buffer it shares
//! with a [`Canvas`], where the report opens and closes groups carrying the
//! page's machine-readable attributes (`data-kind`, `data-zxid`, ...) and
//! tooltips between draws. plotters does the drawing; this only adds the
//! grouping its SVG backend has no way to express.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use plotters::prelude::SVGBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::html::esc;

/// An SVG being drawn: hand [`Canvas::backend`] to plotters, group what it
/// draws with [`Canvas::group`] / [`Canvas::end`], then [`Canvas::finish`].
pub struct Canvas {
    buf: Rc<RefCell<String>>,
    size: (u32, u32),
    open: usize,
}

impl Canvas {
    /// A canvas of `size` pixels.
    pub fn new(size: (u32, u32)) -> Canvas {
        Canvas {
            buf: Rc::default(),
            size,
            open: 0,
        }
    }

    /// A plotters backend drawing onto this canvas.
    pub fn backend(&self) -> Svg {
        Svg {
            buf: Rc::clone(&self.buf),
            size: self.size,
        }
    }

    /// Opens a group with `attrs` (names are trusted, values escaped) and
    /// an optional tooltip; what is drawn until [`Canvas::end`] goes in it.
    pub fn group(&mut self, attrs: &[(&str, &str)], title: Option<&str>) {
        let mut b = self.buf.borrow_mut();
        b.push_str("<g");
        for (k, v) in attrs {
            b.push(' ');
            b.push_str(k);
            b.push_str("=\"");
            b.push_str(&esc(v));
            b.push('"');
        }
        b.push('>');
        if let Some(t) = title {
            b.push_str("<title>");
            b.push_str(&esc(t));
            b.push_str("</title>");
        }
        b.push('\n');
        self.open += 1;
    }

    /// Closes the last group opened.
    pub fn end(&mut self) {
        if self.open > 0 {
            self.buf.borrow_mut().push_str("</g>\n");
            self.open -= 1;
        }
    }

    /// The finished `<svg>` element (scaling to its container's width),
    /// with `label` as its accessible name and `id`.
    pub fn finish(mut self, id: &str, label: &str) -> String {
        while self.open > 0 {
            self.end();
        }
        let (w, h) = self.size;
        let body = self.buf.borrow();
        format!(
            "<svg id=\"{}\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">\n{}</svg>\n",
            esc(id),
            esc(label),
            body
        )
    }
}

/// The backend half of a [`Canvas`].
pub struct Svg {
    buf: Rc<RefCell<String>>,
    size: (u32, u32),
}

/// The element(s) `SVGBackend` wrote between its `<svg ...>` line and its
/// closing tag.
fn body(doc: &str) -> &str {
    let start = doc.find('\n').map_or(0, |i| i + 1);
    let end = doc.rfind("</svg>").unwrap_or(doc.len()).max(start);
    doc.get(start..end).unwrap_or("")
}

impl Svg {
    fn with_svg(
        &mut self,
        draw: impl FnOnce(&mut SVGBackend<'_>) -> Result<(), DrawingErrorKind<io::Error>>,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        let mut doc = String::new();
        {
            let mut b = SVGBackend::with_string(&mut doc, self.size);
            draw(&mut b)?;
            b.present()?;
        }
        self.buf.borrow_mut().push_str(body(&doc));
        Ok(())
    }
}

impl DrawingBackend for Svg {
    type ErrorType = io::Error;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<io::Error>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<io::Error>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.fill_polygon(vert, style))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<io::Error>> {
        self.with_svg(|b| b.draw_text(text, style, pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn elements_land_in_groups_without_svg_wrappers() {
        let mut c = Canvas::new((100, 50));
        {
            let root = c.backend().into_drawing_area();
            root.fill(&WHITE).unwrap();
            c.group(
                &[("data-kind", "damage"), ("data-zxid", "0x1<\"")],
                Some("a & b"),
            );
            root.draw(&Rectangle::new([(1, 1), (10, 10)], RED.filled()))
                .unwrap();
            root.draw(&Text::new("x<y", (5, 5), ("sans-serif", 10)))
                .unwrap();
            c.end();
        }
        let svg = c.finish("t", "test");
        assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
        assert!(!svg.contains("xmlns"), "{svg}");
        assert!(
            svg.contains(
                "<g data-kind=\"damage\" data-zxid=\"0x1&lt;&quot;\"><title>a &amp; b</title>"
            ),
            "{svg}"
        );
        assert!(svg.contains("<rect"), "{svg}");
        assert!(svg.contains("x&lt;y"), "{svg}");
        let g = svg.find("<g ").unwrap();
        assert!(svg[g..].find("<rect").is_some());
    }
}
