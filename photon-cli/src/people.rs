//! `photon faces`: the faces of records grouped into people, the grouping kept in a state file
//! so that a later run places only the faces it has not seen.

use crate::args::FacesArgs;
use crate::people_state::{self, FaceKey, PeopleState, Placed, STATE_VERSION};
use crate::report::chain;
use photon_core::Record;
use photon_faces::{FaceGraph, People, PeopleOptions, RecallCount};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub fn run(args: &FacesArgs) -> ExitCode {
    match group(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photon: {e}");
            ExitCode::from(2)
        }
    }
}

/// A face as the records hold it.
struct Face {
    key: FaceKey,
    file_path: String,
    bbox: [f32; 4],
    score: f32,
    embedding: Vec<f32>,
}

fn group(args: &FacesArgs) -> Result<(), String> {
    if !(0.0..=2.0).contains(&args.max_distance) {
        return Err(format!(
            "--max-distance {}: a cosine distance is between 0 and 2",
            args.max_distance
        ));
    }
    let options = PeopleOptions::default()
        .max_distance(args.max_distance)
        .min_faces(args.min_faces as usize);
    let mut clock = Phases::start();
    let faces = read_faces(args)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| people_state::default_path(&args.records[0]));
    let earlier = earlier_state(args, &state_path)?;
    let Resumed {
        faces,
        mut people,
        mut known,
        graph_faces,
    } = resume(faces, earlier);
    clock.lap("read");
    let views: Vec<&[f32]> = faces.iter().map(|f| f.embedding.as_slice()).collect();
    let graph_path = people_state::graph_path(&state_path);
    let mut graph = match reopen_graph(&graph_path, &views, graph_faces) {
        Reopened::Graph(graph) => graph,
        Reopened::None => new_graph(views[0].len())?,
        Reopened::OtherFaces => {
            eprintln!(
                "photon: the faces' embeddings changed since the state was made: grouping anew"
            );
            (people, known) = (People::default(), 0);
            new_graph(views[0].len())?
        }
    };
    let added = views.len() - graph.len();
    graph.extend(&views).map_err(|e| e.to_string())?;
    clock.lap(&format!("face graph ({added} faces added)"));
    // A first grouping searches every face, so a pair either face finds counts for both.
    let count = match known {
        0 => RecallCount::EitherFace,
        _ => RecallCount::OwnSearch,
    };
    let widest = args.widest_search as usize;
    tune_search(&graph, &views, (options, count, widest), &mut clock);
    people.place(&graph.neighbours(&views), options);
    clock.lap("placed");
    graph.save(&graph_path).map_err(|e| e.to_string())?;
    let state = state_of(&faces, &people, args, graph.len());
    people_state::save(&state_path, &state)?;
    clock.lap("saved");
    report(&faces, &people, known, args.json).map_err(|e| format!("writing the people: {e}"))?;
    eprintln!("photon: {}", clock.summary());
    Ok(())
}

/// The state an earlier run left, unless asked to start over or made with other options.
fn earlier_state(args: &FacesArgs, path: &Path) -> Result<Option<PeopleState>, String> {
    if args.recluster {
        return Ok(None);
    }
    Ok(people_state::load(path)?.filter(|state| {
        let same =
            state.max_distance == args.max_distance && state.min_faces == args.min_faces as usize;
        if !same {
            eprintln!("photon: the state was made with other options: grouping anew");
        }
        same
    }))
}

/// Widens the graph's searches until they find the faces within reach, as a phase of its own;
/// says so when even the widest search falls short.
fn tune_search(
    graph: &FaceGraph,
    faces: &[&[f32]],
    (options, count, widest): (PeopleOptions, RecallCount, usize),
    clock: &mut Phases,
) {
    let shortlist = options.shortlist();
    let breadth = graph.tune_search(faces, (shortlist, options.max_distance), count, widest);
    clock.lap(&format!(
        "searches at ef {} (recall {:.3} of the faces within reach among the {shortlist} nearest)",
        breadth.expansion, breadth.recall
    ));
    if breadth.fell_short() {
        eprintln!(
            "photon: at its widest search (--widest-search {widest}) the face graph finds {:.3} \
             of the faces within reach of a face: some people may be split or faces left \
             alone; a wider search finds more and takes longer",
            breadth.recall
        );
    }
}

fn new_graph(dim: usize) -> Result<FaceGraph, String> {
    FaceGraph::new(dim).map_err(|e| e.to_string())
}

/// Where the time of a run went, for the summary: at a million faces it is minutes.
struct Phases {
    last: Instant,
    laps: Vec<String>,
}

impl Phases {
    fn start() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, what: &str) {
        let now = Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        self.laps.push(format!("{what} {seconds:.1} s"));
        self.last = now;
    }

    fn summary(&self) -> String {
        self.laps.join(", ")
    }
}

/// What became of the graph an earlier run saved.
enum Reopened {
    /// It holds the first faces, as the state took them.
    Graph(FaceGraph),
    /// There is none to use: none saved, or the state lost faces it held.
    None,
    /// It holds other embeddings than the records' (made again with another model).
    OtherFaces,
}

/// The graph at `path` if it holds exactly the `graph_faces` faces the state says it does.
fn reopen_graph(path: &Path, faces: &[&[f32]], graph_faces: Option<usize>) -> Reopened {
    let Some(count) = graph_faces else {
        return Reopened::None;
    };
    match FaceGraph::open(path) {
        // Another dimension is another model as surely as other vectors are.
        Ok(graph) if graph.len() == count => match graph.holds(faces) {
            true => Reopened::Graph(graph),
            false => Reopened::OtherFaces,
        },
        Ok(_) => Reopened::None,
        Err(e) => {
            eprintln!("photon: {e}: building the face graph anew");
            Reopened::None
        }
    }
}

/// Every face of the records' images, each image once (by content hash, its last record).
fn read_faces(args: &FacesArgs) -> Result<Vec<Face>, String> {
    let mut latest: HashMap<String, photon_core::ImageRecord> = HashMap::new();
    let mut order = Vec::new();
    for path in &args.records {
        let reader = photon_arrow::read_records(path)
            .map_err(|e| format!("{}: {}", path.display(), chain(&e)))?;
        for record in reader.flatten() {
            let Record::Image(image) = record else {
                continue;
            };
            if image.faces.is_none() {
                continue;
            }
            if !latest.contains_key(&image.content_hash) {
                order.push(image.content_hash.clone());
            }
            latest.insert(image.content_hash.clone(), *image);
        }
    }
    let mut faces = Vec::new();
    for hash in order {
        // Taken out of the map: at a million faces a copy of the embeddings is gigabytes.
        let Some(image) = latest.remove(&hash) else {
            continue;
        };
        for (index, face) in image.faces.into_iter().flatten().enumerate() {
            faces.push(Face {
                key: FaceKey {
                    content_hash: hash.clone(),
                    index,
                },
                file_path: image.file_path.clone(),
                bbox: face.bbox,
                score: face.score,
                embedding: face.embedding,
            });
        }
    }
    let Some(first) = faces.first() else {
        return Err("the records hold no faces: run `photon process --faces` first".to_owned());
    };
    if let Some(other) = faces
        .iter()
        .find(|f| f.embedding.len() != first.embedding.len())
    {
        return Err(format!(
            "{} has face embeddings of {} dimensions and {} of {}: records of two face models",
            first.file_path,
            first.embedding.len(),
            other.file_path,
            other.embedding.len()
        ));
    }
    Ok(faces)
}

/// Where an earlier run left off.
struct Resumed {
    /// The faces as the state took them (those it knows first, then new ones).
    faces: Vec<Face>,
    /// The people as it left them.
    people: People,
    /// How many faces it knew.
    known: usize,
    /// How many faces its graph holds, when these are the first of `faces`.
    graph_faces: Option<usize>,
}

/// Faces whose images are gone leave the state; a person left with no face goes with them.
fn resume(faces: Vec<Face>, state: Option<PeopleState>) -> Resumed {
    let Some(state) = state else {
        return Resumed {
            faces,
            people: People::default(),
            known: 0,
            graph_faces: None,
        };
    };
    let state_faces = state.faces.len();
    let mut by_key: HashMap<FaceKey, Face> =
        faces.into_iter().map(|f| (f.key.clone(), f)).collect();
    let mut ordered = Vec::new();
    let mut old_person = Vec::new();
    for placed in state.faces {
        if let Some(face) = by_key.remove(&placed.key) {
            ordered.push(face);
            old_person.push(placed.person);
        }
    }
    let known = ordered.len();
    let mut rest: Vec<Face> = by_key.into_values().collect();
    rest.sort_by(|a, b| (&a.file_path, a.key.index).cmp(&(&b.file_path, b.key.index)));
    ordered.extend(rest);
    // People renumbered by first appearance among the faces still there.
    let mut renumber: HashMap<u32, u32> = HashMap::new();
    let mut people = People::default();
    for (face, person) in old_person.iter().enumerate() {
        people.person.push(person.map(|old| {
            let next = renumber.len() as u32;
            *renumber.entry(old).or_insert_with(|| {
                people.representative.push(face);
                next
            })
        }));
    }
    let index: HashMap<&FaceKey, usize> = ordered[..known]
        .iter()
        .enumerate()
        .map(|(i, f)| (&f.key, i))
        .collect();
    for (old, representative) in state.representatives.iter().enumerate() {
        if let (Some(&new), Some(&face)) = (renumber.get(&(old as u32)), index.get(representative))
        {
            people.representative[new as usize] = face;
        }
    }
    // The graph numbers faces by their place in the state: it holds on only if none left.
    let graph_faces = state.graph_faces.filter(|_| known == state_faces);
    Resumed {
        faces: ordered,
        people,
        known,
        graph_faces,
    }
}

fn state_of(faces: &[Face], people: &People, args: &FacesArgs, graph: usize) -> PeopleState {
    PeopleState {
        version: STATE_VERSION,
        max_distance: args.max_distance,
        min_faces: args.min_faces as usize,
        faces: faces
            .iter()
            .zip(&people.person)
            .map(|(face, person)| Placed {
                key: face.key.clone(),
                person: *person,
            })
            .collect(),
        representatives: people
            .representative
            .iter()
            .map(|&i| faces[i].key.clone())
            .collect(),
        graph_faces: Some(graph),
    }
}

fn report(faces: &[Face], people: &People, known: usize, json: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let members = people.members();
    for (person, faces_of) in members.iter().enumerate() {
        let face = |i: usize| {
            let f = &faces[i];
            json!({ "file_path": f.file_path, "box": f.bbox, "score": f.score })
        };
        let representative = face(people.representative[person]);
        if json {
            let line = json!({
                "person": person,
                "faces": faces_of.iter().map(|&i| face(i)).collect::<Vec<_>>(),
                "representative": representative,
            });
            writeln!(out, "{line}")?;
        } else {
            let images: HashSet<&str> = faces_of
                .iter()
                .map(|&i| faces[i].file_path.as_str())
                .collect();
            writeln!(
                out,
                "person {person}: {} faces in {} images, e.g. {} {:?}",
                faces_of.len(),
                images.len(),
                representative["file_path"].as_str().unwrap_or_default(),
                faces[people.representative[person]].bbox.map(f32::round)
            )?;
        }
    }
    let unassigned = people.person.iter().filter(|p| p.is_none()).count();
    eprintln!(
        "photon: {} people from {} faces ({unassigned} not assigned; {} new this run)",
        members.len(),
        faces.len(),
        faces.len() - known
    );
    Ok(())
}
